"""Territory balancing (docs/design.md): move as little as possible (or travel as little as
possible) so that every rep's book of one metric is within ±band of their target.

Formulation: x[i, r] = 1 when account i goes to rep r, over the pairs allowed (eligible by
segment; a locked account only to its owner); each account to exactly one rep; each rep's
metric total within [low, high]; minimise Σ metric of moved accounts (`disruption`) or
Σ distance (`distance`). Ties are broken by a tiny second objective (distance, or keeping
the current owner) and by building the model in one canonical order (accounts and reps by
id), so that the same books always give the same answer.

Solved with HiGHS through scipy (imported here only): an exact MILP when the model is
small; otherwise each account may go to a few candidate reps (its owner, the nearest, reps
under target), the LP relaxation is solved, the accounts it places whole are fixed and the
few split ones are repaired by a small MILP. The result states optimal, or the gap to the
LP bound.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from salesplan.accounts import plan_accounts, plan_distances
from salesplan.balance_plan import (
    BalanceError,
    BalanceOptions,
    BalanceResult,
    Solution,
    candidate_lists,
    cost_arrays,
    distance_matrix,
)
from salesplan.balance_result import (
    band_problems,
    infeasible_result,
    solved_result,
    violation_messages,
)
from salesplan.books import default_metric, plan_books

if TYPE_CHECKING:
    from salesplan.books import Books
    from salesplan.plan import Plan

__all__ = ["BalanceError", "BalanceOptions", "BalanceResult", "balance"]

EXACT_VARIABLES = 20_000  # up to this many account-rep pairs, one exact MILP
TIME_LIMIT = 120.0  # seconds for any one MILP: a safety net, the node limits stop them
FALLBACK_VARIABLES = 200_000  # a failed repair is retried over every pair up to this size
EXACT_NODES = 20_000  # branch-and-bound nodes of the exact MILP
REPAIR_NODES = 50  # ... of the repair MILP
REPAIR_GAP = 1e-4  # the repair stops within this of its own bound (a small part of the whole)
FRACTIONAL = 1e-6
# The repair MILP frees, besides the split accounts, this many of the smallest accounts of
# each rep the split ones touch (more on each retry), so that whole accounts can make up
# what the LP split.
REPAIR_NEIGHBOURS = {"disruption": (12, 48, 256), "distance": (4, 12, 32)}
# A repair MILP that has not reached its node limit by then stops with the best assignment
# it has: only then does the answer depend on the machine's speed (never in the benchmarks'
# 20,000 × 50 books, once in 5,000 × 100 books with a tight band).
REPAIR_SECONDS = 30.0


def balance(plan: Plan, options: BalanceOptions) -> BalanceResult:
    """The balanced books of a plan (raises BalanceError when the inputs cannot be used)."""
    book = plan_accounts(plan)
    if book is None:
        raise BalanceError(
            f"no {plan.settings.files.accounts} in the plan: list the accounts there "
            "(id,name,owner,<metric columns>) or write it with `salesplan import`"
        )
    metric = options.metric or default_metric(book)
    if metric is None or metric not in book.metric_names:
        have = ", ".join(book.metric_names) or "none"
        raise BalanceError(f"{book.file} has no metric column {metric!r} (metric columns: {have})")
    books = plan_books(plan, book, metric, options.band, options.target, options.locked)
    if not books.reps:
        raise BalanceError("no rep of the plan is on board in the fiscal year to hold accounts")
    distances = plan_distances(plan)
    return solve(books, options.objective, distance_matrix(books, distances))


def solve(books: Books, objective: str, distance: Any) -> BalanceResult:
    """Balance `books` (see the module docstring); `distance` is an accounts × reps array
    (NaN where unknown) or None."""
    import numpy as np

    if objective == "distance" and distance is None:
        raise BalanceError(
            "the distance objective needs distances: give reps a `base: {lat, lon}` and "
            "accounts lat,lon columns, or list them in distances.csv (account,rep,distance)"
        )
    n, reps = len(books.accounts), len(books.reps)
    exact = n * reps <= EXACT_VARIABLES
    candidates = candidate_lists(books, distance, exact, objective)
    model = _Model(books, objective, distance, candidates)
    if n == 0:
        solution = Solution([], "optimal", "milp", 0.0, None)
        return solved_result(books, objective, solution, distance)
    if exact:
        found = model.milp(np.arange(n), np.zeros(reps))
        if found is not None:
            chosen, bound, optimal = found
            status = "optimal" if optimal else "feasible"
            solution = Solution(chosen, status, "milp", bound - model.slack, None)
            return solved_result(books, objective, solution, distance)
        if model.proven_infeasible:
            return infeasible_result(books, objective, model.diagnose(exact))
        # The node limit came before any assignment was found: LP and repair instead.
    lp = model.lp()
    if lp is None:
        return infeasible_result(books, objective, model.diagnose(exact))
    repaired, bound = model.repair(lp)
    if repaired is None and n * reps <= FALLBACK_VARIABLES:
        # The candidates or the repair's neighbourhood were too narrow: every eligible rep.
        wide = _Model(books, objective, distance, candidate_lists(books, distance, True))
        found = wide.milp(np.arange(n), np.zeros(reps))
        if found is not None:
            chosen, wide_bound, optimal = found
            status = "optimal" if optimal else ""
            solution = Solution(chosen, status, "milp", wide_bound - wide.slack, None)
            return solved_result(books, objective, solution, distance)
    if repaired is None:
        return infeasible_result(books, objective, model.diagnose(exact))
    width = max(len(c) for c in model.candidates)
    solution = Solution(repaired, "", "lp+repair", bound - model.slack, width)
    return solved_result(books, objective, solution, distance)


@contextmanager
def quiet() -> Iterator[None]:
    """HiGHS writes some messages straight to file descriptor 1 whatever its options say;
    they must not end up inside the JSON or CSV a command prints."""
    import sys

    try:
        sys.stdout.flush()
        saved = os.dup(1)
    except (OSError, ValueError):  # no real stdout (a test runner's capture)
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


@dataclass
class _Model:
    books: Books
    objective: str
    distance: Any  # accounts × reps, or None
    candidates: list[list[int]]  # per account, the rep indexes it may go to
    proven_infeasible: bool = False  # the last MILP proved that it has no solution

    def __post_init__(self) -> None:
        import numpy as np

        books = self.books
        self.metric = np.array([float(a.metric(books.metric)) for a in books.accounts])
        self.scale = max(float(books.total) / max(len(books.reps), 1), 1e-9)
        self.low = np.array([float(r.low) for r in books.reps]) / self.scale
        self.high = np.array([float(r.high) for r in books.reps]) / self.scale
        self.owner = [books.rep_index().get(o, -1) for o in books.owners]
        self.primary, self.secondary = cost_arrays(books, self.objective, self.distance)
        self.pair_account = np.repeat(
            np.arange(len(self.candidates)), [len(c) for c in self.candidates]
        )
        self.pair_rep = np.array([r for c in self.candidates for r in c], dtype=np.int64)
        self.pair_cost = (
            self.primary[self.pair_account, self.pair_rep]
            + self.secondary[self.pair_account, self.pair_rep]
        )
        finite = self.pair_cost[self.pair_cost > 0]
        self.cost_scale = float(finite.mean()) if finite.size else 1.0
        # The most the tie-breaking term can add to any assignment's cost.
        self.slack = float(self.secondary.max(axis=1).sum()) if len(self.candidates) else 0.0

    # ---- building blocks

    def _pairs(self, accounts: Any) -> tuple[Any, Any]:
        """The indexes of the pairs of `accounts` (sorted account indexes) and their rows."""
        import numpy as np

        mask = np.isin(self.pair_account, accounts)
        pairs = np.nonzero(mask)[0]
        rows = np.searchsorted(accounts, self.pair_account[pairs])
        return pairs, rows

    def _constraints(self, accounts: Any, pairs: Any, rows: Any, fixed: Any) -> list[Any]:
        """Each of `accounts` to one rep; each rep's total (with `fixed`) within its band."""
        import numpy as np
        from scipy.optimize import LinearConstraint
        from scipy.sparse import csr_array

        columns = np.arange(len(pairs))
        one = np.ones(len(pairs))
        assign = csr_array((one, (rows, columns)), shape=(len(accounts), len(pairs)))
        weight = self.metric[self.pair_account[pairs]] / self.scale
        band = csr_array(
            (weight, (self.pair_rep[pairs], columns)), shape=(len(self.books.reps), len(pairs))
        )
        return [
            LinearConstraint(assign, 1, 1),
            LinearConstraint(band, self.low - fixed - 1e-9, self.high - fixed + 1e-9),
        ]

    def milp(
        self,
        accounts: Any,
        fixed: Any,
        nodes: int = EXACT_NODES,
        gap: float = 1e-9,
        seconds: float = TIME_LIMIT,
    ) -> tuple[list[int], float, bool] | None:
        """MILP over `accounts` (the rest fixed, adding `fixed` to each rep): the chosen
        rep of each of them, the bound and whether it is proven optimal. Stopped after
        `nodes` branch-and-bound nodes (a count, not a time, so that it is deterministic)."""
        import numpy as np
        from scipy.optimize import Bounds, milp

        pairs, rows = self._pairs(accounts)
        options = {
            "time_limit": seconds,
            "node_limit": nodes,
            "mip_rel_gap": gap,
            "disp": False,
        }
        with quiet():
            result = milp(
                self.pair_cost[pairs] / self.cost_scale,
                constraints=self._constraints(accounts, pairs, rows, fixed),
                integrality=np.ones(len(pairs)),
                bounds=Bounds(0, 1),
                options=options,
            )
        self.proven_infeasible = result.status == 2
        if result.x is None:
            return None
        chosen = self._chosen(result.x, pairs, rows, len(accounts))
        bound = getattr(result, "mip_dual_bound", None)
        optimal = result.status == 0
        found = float(bound if bound is not None else result.fun) * self.cost_scale
        return chosen, found, optimal

    def _chosen(self, x: Any, pairs: Any, rows: Any, count: int) -> list[int]:
        import numpy as np

        best = np.full(count, -1.0)
        chosen = [-1] * count
        for value, row, pair in zip(x, rows, pairs):
            if value > best[row]:
                best[row] = value
                chosen[row] = int(self.pair_rep[pair])
        return chosen

    def lp(self) -> Any:
        """The LP relaxation over the candidate pairs: a vertex (interior point with
        crossover, or dual simplex), so that few accounts are split."""
        import numpy as np
        from scipy.optimize import linprog
        from scipy.sparse import csr_array, vstack

        n = len(self.candidates)
        columns = np.arange(len(self.pair_rep))
        assign = csr_array(
            (np.ones(len(columns)), (self.pair_account, columns)), shape=(n, len(columns))
        )
        weight = self.metric[self.pair_account] / self.scale
        band = csr_array(
            (weight, (self.pair_rep, columns)), shape=(len(self.books.reps), len(columns))
        )
        with quiet():
            result = linprog(
                self.pair_cost / self.cost_scale,
                A_ub=vstack([band, -band]),
                b_ub=np.concatenate([self.high + 1e-9, -self.low + 1e-9]),
                A_eq=assign,
                b_eq=np.ones(n),
                bounds=(0, 1),
                # Measured the faster of the two on each objective (benchmarks/balance.py).
                method="highs-ipm" if self.objective == "disruption" else "highs-ds",
            )
        return result.x if result.status == 0 else None

    def repair(self, x: Any) -> tuple[list[int] | None, float]:
        """Fix the accounts the LP placed whole; place the split ones (and, if that is not
        enough, a few more around them) with a small MILP. Returns the choice and the LP
        bound of the primary objective."""
        import numpy as np

        n = len(self.candidates)
        bound = float(self.primary[self.pair_account, self.pair_rep] @ x)
        order = np.lexsort((-x, self.pair_account))  # per account, its largest x first
        first = np.ones(len(order), dtype=bool)
        first[1:] = self.pair_account[order][1:] != self.pair_account[order][:-1]
        top = order[first]
        chosen = self.pair_rep[top].astype(np.int64)
        split = np.nonzero(x[top] < 1 - FRACTIONAL)[0]
        # The reps the split accounts are split between (for `distance`, every rep they
        # could go to): their smallest accounts make room for them.
        around = (x > FRACTIONAL) & (x < 1 - FRACTIONAL)
        if self.objective == "distance":
            around = np.isin(self.pair_account, split)
        touched = np.unique(self.pair_rep[around])
        for extra in REPAIR_NEIGHBOURS[self.objective]:
            free = np.union1d(split, self._around(chosen, touched, extra))
            fixed_mask = np.ones(n, dtype=bool)
            fixed_mask[free] = False
            fixed = (
                np.bincount(
                    chosen[fixed_mask],
                    weights=self.metric[fixed_mask],
                    minlength=len(self.books.reps),
                )
                / self.scale
            )
            found = (
                self.milp(free, fixed, REPAIR_NODES, REPAIR_GAP, REPAIR_SECONDS)
                if len(free)
                else ([], 0.0, True)
            )
            if found is not None:
                for account, rep in zip(free, found[0]):
                    chosen[account] = rep
                return [int(r) for r in chosen], bound
        return None, bound

    def _around(self, chosen: Any, touched: Any, extra: int) -> Any:
        """Up to `extra` unlocked accounts of each touched rep, the smallest first."""
        import numpy as np

        if not extra:
            return np.array([], dtype=np.int64)
        movable = np.array([len(c) > 1 for c in self.candidates])
        picked = []
        for rep in touched:
            mine = np.nonzero((chosen == rep) & movable)[0]
            mine = mine[np.lexsort((mine, self.metric[mine]))][:extra]
            picked.append(mine)
        return np.concatenate(picked) if picked else np.array([], dtype=np.int64)

    # ---- why there is no solution

    def diagnose(self, exact: bool) -> list[str]:
        """Which rep cannot be brought within which bound, and by how much."""
        every = self.candidates if exact else candidate_lists(self.books, self.distance, True)
        return band_problems(self.books, every) or self._elastic(exact)

    def _elastic(self, exact: bool) -> list[str]:
        """The least total band violation (shortfall and excess per rep, over the candidate
        pairs; whole accounts when the model is small): the reps left outside their band
        and by how much."""
        import numpy as np
        from scipy.optimize import Bounds, LinearConstraint, milp
        from scipy.sparse import csr_array, hstack, identity, vstack

        n, reps, pairs = len(self.candidates), len(self.books.reps), len(self.pair_rep)
        columns = np.arange(pairs)
        assign = csr_array((np.ones(pairs), (self.pair_account, columns)), shape=(n, pairs))
        weight = self.metric[self.pair_account] / self.scale
        band = csr_array((weight, (self.pair_rep, columns)), shape=(reps, pairs))
        eye = identity(reps, format="csr")
        zero = csr_array((reps, reps))
        upper = hstack([band, zero, -eye])  # total - over <= high
        lower = hstack([-band, -eye, zero])  # -(total + short) <= -low
        equal = hstack([assign, csr_array((n, 2 * reps))])
        cost = np.concatenate([np.zeros(pairs), np.ones(2 * reps)])
        integral = np.concatenate([np.full(pairs, 1 if exact else 0), np.zeros(2 * reps)])
        with quiet():
            result = milp(
                cost,
                constraints=[
                    LinearConstraint(
                        vstack([upper, lower]), -np.inf, np.concatenate([self.high, -self.low])
                    ),
                    LinearConstraint(equal, 1, 1),
                ],
                integrality=integral,
                bounds=Bounds(0, np.concatenate([np.ones(pairs), np.full(2 * reps, np.inf)])),
                options={"time_limit": TIME_LIMIT, "disp": False},
            )
        if result.x is None:
            return ["no assignment of the accounts exists (every account needs a rep it may go to)"]
        short = result.x[pairs : pairs + reps] * self.scale
        over = result.x[pairs + reps :] * self.scale
        return violation_messages(self.books, short, over)

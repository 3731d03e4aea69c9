"""Allocation checks: problems met while splitting, the budget, and quotas.yaml."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

from salesplan.allocate import allocation_problems
from salesplan.diagnostics import Diagnostic, Where, report
from salesplan.plan import Plan
from salesplan.quotas import quotas_yaml

ZERO = Decimal(0)


def check_allocation(plan: Plan) -> Iterator[Diagnostic]:
    """Pins above their pool, all-zero weights, reps with no capacity under a capacity split."""
    yield from allocation_problems(plan)


def check_budget(plan: Plan) -> Iterator[Diagnostic]:
    from salesplan.capacity import cost_of_sales

    limit = plan.settings.budget.max_cost_of_sales
    if limit is None:
        return
    total_ote, ratio = cost_of_sales(plan)
    if ratio is not None and ratio > limit:
        ote = total_ote.quantize(Decimal(1).scaleb(-plan.currency_exponent))
        message = (
            f"cost of sales is {ratio:.1%} (OTE {ote} over the "
            f"target {plan.settings.target}), above the budget of {limit:.1%}"
        )
        where = plan.where("plan", ("budget", "max_cost_of_sales"))
        yield report("SP504", message, where, "budget.max_cost_of_sales")


def check_quotas_file(plan: Plan) -> Iterator[Diagnostic]:
    """quotas.yaml is fresh exactly when it is the text `allocate --write` gives now: stale
    (SP415) when it was written for other inputs, edited (SP416) when its content differs,
    at the first line that differs. Checksums in the file prove nothing: it is compared."""
    if plan.quotas_raw is None or plan.quotas_file is None:
        return
    written = plan.quotas_raw.replace(b"\r\n", b"\n")
    expected = quotas_yaml(plan.allocation, plan.digest).encode()
    if written == expected:
        return
    file, name = plan.quotas_file, plan.settings.files.quotas
    stale = _INPUTS.search(written)
    if stale is not None and stale.group(1).decode() != plan.digest:
        line = written.count(b"\n", 0, stale.start()) + 1
        message = (
            f"{name} is stale: the plan changed since it was written; "
            "run `salesplan allocate --write` and commit the result"
        )
        yield report(
            "SP415", message, Where(file, line, stale.start(1) - stale.start() + 1), "inputs"
        )
        return
    line, text = _first_difference(written, expected)
    node = _NODE_ID.search(text)
    what = f"the entry of {node.group(1).strip(chr(34))!r}" if node else f"line {line}"
    message = (
        f"{name} was edited by hand: {what} differs from what allocate computes; "
        "run `salesplan allocate --write` and commit the result"
    )
    yield report("SP416", message, Where(file, line, 5 if node else 1))


_INPUTS = re.compile(rb"^inputs: (\S*)$", re.M)
_NODE_ID = re.compile(r"^  - \{id: (\"(?:[^\"\\]|\\.)*\"|[^,]+),")


def _first_difference(written: bytes, expected: bytes) -> tuple[int, str]:
    """The 1-based number of the first line that differs, and the expected line there."""
    old, new = written.split(b"\n"), expected.split(b"\n")
    for i, (a, b) in enumerate(zip(old, new)):
        if a != b:
            return i + 1, b.decode()
    i = min(len(old), len(new))
    return i + 1, new[i].decode() if i < len(new) else ""

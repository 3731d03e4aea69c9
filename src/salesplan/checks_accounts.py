"""Territory health, checked when the plan has an accounts.csv: the file itself, owners that
are unknown or have left, accounts nobody owns, the `balance:` settings, and reps whose book
is outside their balance band (docs/design.md)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING

from salesplan.books import current_owner
from salesplan.checks_inputs import departed
from salesplan.diagnostics import Diagnostic, did_you_mean, report
from salesplan.plan import Plan

if TYPE_CHECKING:
    from salesplan.accounts import Account, AccountBook

LISTED = 5  # account ids named in one summary message


def has_accounts(plan: Plan) -> bool:
    """The plan has an accounts file (most plans do not: nothing more is imported then)."""
    return os.path.lexists(plan.root / plan.settings.files.accounts)


def check_accounts(plan: Plan) -> Iterator[Diagnostic]:
    """accounts.csv as read, its owners and territories, and the settings that name it."""
    if not has_accounts(plan):
        return
    from salesplan.accounts import plan_accounts, plan_distances

    book = plan_accounts(plan)
    if book is None:
        return
    yield from book.problems
    unassigned: list[Account] = []
    by_departed: dict[str, list[Account]] = {}
    for account in book.accounts:
        if account.owner:
            if account.owner in plan.broken_ids:
                continue  # the rep's own record is reported; its accounts add nothing
            if account.owner not in plan.reps_by_id:
                yield _unknown_owner(plan, book, account)
            elif departed(plan, account.owner):
                by_departed.setdefault(account.owner, []).append(account)
        elif account.territory:
            if account.territory not in plan.territory_index:
                known = plan.territory_index
                message = (
                    f"territory {account.territory!r} of account {account.id!r} is not in "
                    f"territories.yaml{did_you_mean(account.territory, known)}"
                )
                yield book.report("SP904", message, account, "territory")
            elif plan.territories[plan.territory_index[account.territory]].owner is None:  # type: ignore[index]
                unassigned.append(account)
        else:
            unassigned.append(account)
    for owner, accounts in by_departed.items():
        rep = plan.reps_by_id[owner]
        message = (
            f"rep {owner!r} left on {rep.end} but still owns {_accounts(accounts)}; "
            f"reassign {_them(accounts)} (salesplan balance)"
        )
        yield book.report("SP905", message, accounts[0], "owner")
    if unassigned:
        verb = "has" if len(unassigned) == 1 else "have"
        message = (
            f"{_accounts(unassigned)} {verb} no owner; "
            f"give {_them(unassigned)} one (salesplan balance)"
        )
        yield book.report("SP906", message, unassigned[0], "owner")
    yield from _territory_owners(plan, book)
    yield from _settings_problems(plan, book)
    distances = plan_distances(plan)
    if distances is not None:
        yield from distances.problems


def _accounts(accounts: list[Account]) -> str:
    if len(accounts) == 1:
        return f"account {accounts[0].id!r}"
    ids = ", ".join(a.id for a in accounts[:LISTED])
    more = f" and {len(accounts) - LISTED} more" if len(accounts) > LISTED else ""
    return f"{len(accounts)} accounts ({ids}{more})"


def _them(accounts: list[Account]) -> str:
    return "it" if len(accounts) == 1 else "them"


def _unknown_owner(plan: Plan, book: AccountBook, account: Account) -> Diagnostic:
    message = (
        f"owner {account.owner!r} of account {account.id!r} is not a rep of the plan"
        f"{did_you_mean(account.owner, plan.reps_by_id)}"
    )
    return book.report("SP904", message, account, "owner")


def _territory_owners(plan: Plan, book: AccountBook) -> Iterator[Diagnostic]:
    """SP910: accounts owned by a rep other than the owner of a territory they are in: the
    one their row names (at its territory cell), or one whose `accounts:` lists them (at the
    listed id). One warning per territory, at its first such account."""
    if not plan.territories:
        return
    reps = plan.reps_by_id
    owner_of = {t.id: t.owner for t in plan.territories}
    in_cell: dict[tuple[str, str], list[Account]] = {}
    for account in book.accounts:
        held_by = owner_of.get(account.territory)
        if account.owner in reps and held_by is not None and held_by != account.owner:
            in_cell.setdefault((account.territory, held_by), []).append(account)
    for (territory_id, held_by), accounts in in_cell.items():
        message = _named(territory_id, held_by, accounts)
        yield book.report("SP910", message, accounts[0], "territory")
    by_id = {a.id: a for a in book.accounts}
    for i, territory in enumerate(plan.territories):
        if territory.owner is None or plan.territory_index.get(territory.id) != i:
            continue  # open, or an id given twice (SP310)
        strays = [
            (j, by_id[account_id])
            for j, account_id in enumerate(territory.accounts)
            if account_id in by_id
            and by_id[account_id].territory != territory.id  # its own cell: reported above
            and current_owner(plan, by_id[account_id]) in reps
            and current_owner(plan, by_id[account_id]) != territory.owner
        ]
        if strays:
            j = strays[0][0]
            message = _listed(plan, book, territory.id, territory.owner, [a for _, a in strays])
            where = plan.at_territory(territory.id, "accounts", j)
            yield report("SP910", message, where, f"territories[{i}].accounts[{j}]")


def _named(territory_id: str, owner: str, accounts: list[Account]) -> str:
    if len(accounts) == 1:
        account = accounts[0]
        return (
            f"account {account.id!r} is owned by {account.owner!r}, but its territory "
            f"{territory_id!r} is owned by {owner!r}; give it a territory of "
            f"{account.owner!r} or none"
        )
    return (
        f"{_accounts(accounts)} of territory {territory_id!r} are owned by reps other than its "
        f"owner {owner!r}; give each a territory of its owner or none"
    )


def _listed(
    plan: Plan, book: AccountBook, territory_id: str, owner: str, accounts: list[Account]
) -> str:
    if len(accounts) == 1:
        holder = current_owner(plan, accounts[0])
        return (
            f"territory {territory_id!r} of {owner!r} lists account {accounts[0].id!r}, which "
            f"{book.file} gives to {holder!r}; list it under a territory of {holder!r} or none"
        )
    return (
        f"territory {territory_id!r} of {owner!r} lists {_accounts(accounts)} that "
        f"{book.file} gives to other reps; list each under a territory of its owner or none"
    )


def _settings_problems(plan: Plan, book: AccountBook) -> Iterator[Diagnostic]:
    settings = plan.settings.balance
    names = book.metric_names
    if settings.metric is not None and book.table.header and settings.metric not in names:
        message = (
            f"balance metric {settings.metric!r} is not a column of {book.file}"
            f"{did_you_mean(settings.metric, names)}"
        )
        yield report("SP908", message, plan.where("plan", ("balance", "metric")), "balance.metric")
    known = {a.id for a in book.accounts}
    for i, account_id in enumerate(settings.locked):
        if account_id not in known and book.table.header:
            message = f"locked account {account_id!r} is not in {book.file}"
            where = plan.where("plan", ("balance", "locked", i))
            yield report("SP908", message, where, f"balance.locked[{i}]")


def check_books(plan: Plan) -> Iterator[Diagnostic]:
    """Reps whose book of the balanced metric is outside their band: once the plan says how
    it balances (`balance:` in salesplan.yaml); an accounts.csv alone, as `salesplan import`
    writes it, asks for no band."""
    if not has_accounts(plan) or "balance" not in plan.settings.model_fields_set:
        return
    from salesplan.accounts import plan_accounts
    from salesplan.books import default_metric, plan_books

    book = plan_accounts(plan)
    if book is None or any(d.is_error for d in book.problems):
        return
    settings = plan.settings.balance
    metric = settings.metric or default_metric(book)
    if metric is None or metric not in book.metric_names:
        return
    books = plan_books(plan, book, metric, settings.band, settings.target, settings.locked)
    totals = books.totals(books.owners)
    for rep in books.reps:
        held = totals[rep.id]
        if rep.low <= held <= rep.high:
            continue
        side = "below" if held < rep.low else "above"
        message = (
            f"rep {rep.id!r} holds {books.quote(held)} of {metric}, {side} the balance band "
            f"[{books.quote(rep.low)}, {books.quote(rep.high)}] around its target {books.quote(rep.target)}; "
            "rebalance (salesplan balance)"
        )
        path = f"reps[{plan.rep_index[rep.id]}]"
        yield report("SP907", message, plan.at_rep(rep.id, "id"), path)

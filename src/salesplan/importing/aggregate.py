"""From typed opportunity rows to the plan's inputs: won history per rep, weighted open
pipeline per rep and period, and accounts with owner, won and open amounts.

Amounts stay exact: each distinct amount is an integer count of 10^-scale units, summed
in integers, then converted (rate × weight, Decimal) and rounded once per output cell."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from typing import cast

import numpy as np
import pandas as pd

from salesplan import words
from salesplan.importing.cleaning import NO_DAY, Context, Rows, fiscal_months, report_rows
from salesplan.importing.presets import fold

ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]*$")


@dataclass(frozen=True)
class AccountRow:
    id: str
    name: str
    owner: str
    won: Decimal
    open: Decimal


@dataclass
class Outcome:
    history: dict[str, Decimal]  # rep -> won amount in the history window
    pipeline: dict[tuple[str, str], Decimal]  # (rep, period) -> weighted open amount
    pipeline_rows: dict[str, int]  # "rep\0period" -> opportunities counted
    accounts: list[AccountRow]
    account_ids: dict[tuple[str, bool], str] = field(default_factory=dict)  # see account_ids
    stats: dict[str, int] = field(default_factory=dict)


@dataclass
class Reference:
    """Accounts from an account export: id -> (name, owner rep id), and names -> id."""

    names: dict[str, str] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    by_name: dict[str, str] = field(default_factory=dict)


def slug(name: str) -> str:
    """An account name as an id: lower-case ASCII letters and digits, every other run of
    characters one `-` ('Acme Corporation' -> 'acme-corporation', 'Betasoloin' ->
    'betasoloin'); 'account' when nothing is left."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-") or "account"


def distinct_slugs(values: Iterable[str], taken: set[str]) -> dict[str, str]:
    """Each value's slug, distinct from every other and from `taken` (which it extends):
    values in sorted order, the first of a slug keeps it, the next get `-2`, `-3`, ..."""
    found: dict[str, str] = {}
    for value in sorted(set(values)):
        base = candidate = slug(value)
        n = 2
        while candidate in taken:
            candidate, n = f"{base}-{n}", n + 1
        taken.add(candidate)
        found[value] = candidate
    return found


def export_ids(id_cells: list[str] | None, names: list[str]) -> list[str]:
    """The id of each row of an account export: its id cell as written when it is a plan
    id, else slugged; its name slugged when the export has no id column; "" for none.
    Slugs are kept distinct (`distinct_slugs`)."""
    values = id_cells if id_cells is not None else names
    kept = {v for v in values if id_cells is not None and ID.match(v)}
    slugs = distinct_slugs((v for v in values if v and v not in kept), set(kept))
    return [v if v in kept else slugs.get(v, "") for v in values]


def account_ids(
    values: Iterable[tuple[str, bool]], reference: Reference
) -> dict[tuple[str, bool], str]:
    """The id of each account of the opportunities, given as (value, whether it was read
    from an account id column): the account export's id (by id, else by name); else a
    CRM id as written when it is a plan id (CRM ids are case-sensitive); else the value
    slugged, kept distinct from every other id (docs/design.md, "Import")."""
    ids: dict[tuple[str, bool], str] = {}
    slugged: list[tuple[str, bool]] = []
    for value, is_id in values:
        if value in reference.names:
            ids[value, is_id] = value
        elif (by_name := reference.by_name.get(fold(value))) is not None:
            ids[value, is_id] = by_name
        elif is_id and ID.match(value):
            ids[value, is_id] = value
        else:
            slugged.append((value, is_id))
    slugs = distinct_slugs((v for v, _ in slugged), set(reference.names) | set(ids.values()))
    ids.update({(v, is_id): slugs[v] for v, is_id in slugged})
    return ids


def _scale(all_rows: list[Rows]) -> int:
    return max((rows.amounts.scale for rows in all_rows), default=0)


def _units(rows: Rows, scale: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's amount in 10^-scale units and whether it is a number."""
    if not len(rows.amounts.ok):
        return np.zeros(len(rows.amount_codes), np.int64), np.zeros(len(rows.amount_codes), bool)
    return rows.amounts.units(rows.amount_codes, scale), rows.amounts.ok[rows.amount_codes]


def frame_of(all_rows: list[Rows], ctx: Context) -> tuple[pd.DataFrame, int]:
    """The rows that count, in one frame: won in the history window or open in the fiscal
    year, with a readable amount. Also reports what keeps the others out."""
    scale = _scale(all_rows)
    parts = []
    for index, rows in enumerate(all_rows):
        units, ok = _units(rows, scale)
        won = rows.won_in(ctx.history)
        is_open = rows.status == "open"
        open_in_year = is_open & rows.in_window(ctx.fiscal)
        _stale(rows, is_open, ctx)
        counted = ok & (won | (open_in_year & (rows.category != "")))
        is_won = rows.status == "won"
        tally = ctx.counts
        tally["rows"] = tally.get("rows", 0) + len(rows.status)
        for key, mask in (
            ("won in the history window", won),
            ("open in the fiscal year", open_in_year),
            ("won outside the history window", is_won & ~won),
            (
                "open closing after the fiscal year",
                is_open & (rows.day > ctx.fiscal[1].toordinal()),
            ),
            (
                "open without a close date in the fiscal year",
                is_open & (rows.day < ctx.fiscal[0].toordinal()),
            ),
            ("lost", rows.status == "lost"),
            ("not counted: without a rep", counted & (rows.rep == "")),
        ):
            tally[key] = tally.get(key, 0) + int(mask.sum())
        parts.append(
            pd.DataFrame(
                {
                    "src": index,
                    "row": np.flatnonzero(counted),
                    "rep": rows.rep[counted],
                    "status": rows.status[counted],
                    "category": rows.category[counted],
                    "currency": rows.currency[counted],
                    "units": units[counted],
                    "day": rows.day[counted],
                    "account": rows.account[counted],
                    "account_is_id": rows.account_is_id,
                    "account_name": rows.account_name[counted],
                }
            )
        )
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    for name in ("rep", "status", "category", "currency"):  # grouped by their codes
        if name in frame:
            frame[name] = frame[name].astype("category")
    return frame, scale


def _stale(rows: Rows, is_open: np.ndarray, ctx: Context) -> None:
    """Open opportunities that no period of the plan can hold: no close date, or past due."""
    header = rows.columns["close_date"]
    start = ctx.fiscal[0].toordinal()
    no_date = np.flatnonzero(is_open & (rows.day == NO_DAY))
    past = np.flatnonzero(is_open & (rows.day != NO_DAY) & (rows.day < start))
    report_rows(ctx, rows.export, "SP710", no_date, header,
                 "open opportunity has no close date; it is left out of the pipeline")  # fmt: skip
    report_rows(ctx, rows.export, "SP710", past, header,
                 f"open opportunity closes on {{value}}, before the fiscal year ({ctx.fiscal[0]}); "
                 "left out of the pipeline: update its close date")  # fmt: skip


def check_counted(frame: pd.DataFrame, all_rows: list[Rows], ctx: Context) -> pd.DataFrame:
    """Report, among the rows that count (won in the history window, open in the fiscal
    year), those without an account (SP709), won ones with an empty amount (SP713, counted
    as 0) and currencies without a rate (SP707: those rows are dropped, they are errors)."""

    if frame.empty:
        return frame
    for src, group in frame.groupby("src", sort=True):
        rows = all_rows[int(cast(int, src))]
        counted = group["row"].to_numpy()
        account = rows.columns.get("account") or rows.columns.get("account_id")
        if account is not None:
            report_rows(ctx, rows.export, "SP709", counted[rows.account[counted] == ""], account,
                        "opportunity has no account")  # fmt: skip
        won = counted[(group["status"] == "won").to_numpy()]
        amount = rows.columns["amount"]
        empty = rows.export.stripped(amount)[won] == ""
        if "closed_amount" in rows.columns:  # a won deal's amount may be in that column
            empty &= rows.export.stripped(rows.columns["closed_amount"])[won] == ""
        blank = won[empty]
        report_rows(ctx, rows.export, "SP713", blank, amount,
                    "won opportunity has no amount: it counts as 0; give it its amount")  # fmt: skip
    rates = known_rates(ctx)
    no_rate = ~frame["currency"].isin(list(rates))
    for currency, group in frame[no_rate].groupby("currency", sort=True, observed=True):
        first = group.iloc[0]
        rows = all_rows[int(first["src"])]
        header = rows.columns.get("currency", rows.columns["amount"])
        line = int(rows.export.lines[int(first["row"])])
        count = f" ({words.counted(len(group), 'row')})" if len(group) > 1 else ""
        message = (
            f"currency {currency!r} has no rate into {ctx.currency}{count}; "
            f"add it to import.yaml `rates: {{{currency}: ...}}`"
        )
        ctx.findings.add("SP707", message, rows.export.file, *rows.export.place(line, header))
    kept: pd.DataFrame = frame[~no_rate]
    return kept


def known_rates(ctx: Context) -> dict[str, Decimal]:
    return {**ctx.config.rates, ctx.currency: Decimal(1)}


def outcome(
    frame: pd.DataFrame,
    scale: int,
    ctx: Context,
    reps: list[str],
    reference: Reference,
    exponent: int,
) -> Outcome:
    quantum = Decimal(1).scaleb(-exponent)
    rates = known_rates(ctx)
    weights = ctx.config.weights.model_dump()
    unit = Decimal(1).scaleb(-scale)

    def money(total: Decimal) -> Decimal:
        return total.quantize(quantum, rounding=ROUND_HALF_EVEN)

    history = dict.fromkeys(reps, Decimal(0))
    pipeline: dict[tuple[str, str], Decimal] = {}
    counts: dict[str, int] = {}
    if not frame.empty:
        won = frame[(frame["status"] == "won") & (frame["rep"] != "")]
        if not won.empty:
            exact: dict[str, Decimal] = {}
            for (rep, currency), total in (
                won.groupby(["rep", "currency"], sort=True, observed=True)["units"].sum().items()
            ):
                exact[rep] = (
                    exact.get(rep, Decimal(0)) + Decimal(int(total)) * unit * rates[currency]
                )
            history.update({rep: money(value) for rep, value in exact.items()})
        pipeline, counts = _pipeline(frame, ctx, rates, weights, unit, money)
    accounts, ids = _accounts(frame, reference, rates, unit, money)
    return Outcome(history, pipeline, counts, accounts, ids)


def _pipeline(
    frame: pd.DataFrame,
    ctx: Context,
    rates: dict[str, Decimal],
    weights: dict[str, Decimal],
    unit: Decimal,
    money: Callable[[Decimal], Decimal],
) -> tuple[dict[tuple[str, str], Decimal], dict[str, int]]:
    opened = frame[(frame["status"] == "open") & (frame["rep"] != "")]
    if opened.empty:
        return {}, {}
    opened = opened.assign(month=fiscal_months(opened["day"].to_numpy(), ctx.calendar))
    opened = opened.assign(period=opened["month"] // ctx.calendar.months_per_period)
    labels = ctx.calendar.labels
    exact: dict[tuple[str, str], Decimal] = {}
    keys = ["rep", "period", "category", "currency"]
    for (rep, period, category, currency), total in (
        opened.groupby(keys, sort=True, observed=True)["units"].sum().items()
    ):
        key = (rep, labels[int(period)])
        weighted = Decimal(int(total)) * unit * rates[currency] * Decimal(weights[category])
        exact[key] = exact.get(key, Decimal(0)) + weighted
    sizes = opened.groupby(["rep", "period"], sort=True, observed=True).size()
    counts = {f"{rep}\0{labels[int(period)]}": int(n) for (rep, period), n in sizes.items()}
    return {key: money(value) for key, value in exact.items()}, counts


def _accounts(
    frame: pd.DataFrame,
    reference: Reference,
    rates: dict[str, Decimal],
    unit: Decimal,
    money: Callable[[Decimal], Decimal],
) -> tuple[list[AccountRow], dict[tuple[str, bool], str]]:
    names = dict(reference.names)
    owners = dict(reference.owners)
    won: dict[str, Decimal] = {}
    opened: dict[str, Decimal] = {}
    found: dict[tuple[str, bool], str] = {}
    if not frame.empty:
        known = frame[frame["account"] != ""]
        codes, uniques = pd.factorize(known["account"].to_numpy(dtype=object))
        # one code per (value, read from an id column)
        pair_codes, pairs = pd.factorize(codes * 2 + known["account_is_id"].to_numpy(dtype=int))
        keyed = [(uniques[p // 2], bool(p % 2)) for p in pairs]
        found = account_ids(keyed, reference)
        ids = np.array([found[k] for k in keyed], dtype=object)
        key_codes, keys = pd.factorize(ids[pair_codes] if len(pairs) else ids)
        sums = pd.DataFrame(
            {
                "key": key_codes,
                "status": known["status"].to_numpy(),
                "currency": known["currency"].to_numpy(),
                "units": known["units"].to_numpy(),
            }
        ).groupby(["key", "status", "currency"], sort=False, observed=True)["units"]
        for (code, status, currency), total in sums.sum().items():
            bucket, key = (won if status == "won" else opened), keys[code]
            bucket[key] = bucket.get(key, Decimal(0)) + Decimal(int(total)) * unit * rates[currency]
        _, first = np.unique(key_codes, return_index=True)
        account_names = known["account_name"].to_numpy(dtype=object)
        for code, row in enumerate(first):
            names.setdefault(keys[code], account_names[row] or keys[code])
        for key, rep in _latest_owners(known, key_codes, keys):
            owners.setdefault(key, rep)
    return [
        AccountRow(
            key,
            names[key],
            owners.get(key, ""),
            money(won.get(key, Decimal(0))),
            money(opened.get(key, Decimal(0))),
        )
        for key in sorted(names, key=lambda k: (k.casefold(), k))
    ], found


def _latest_owners(
    known: pd.DataFrame, key_codes: np.ndarray, keys: np.ndarray
) -> list[tuple[str, str]]:
    """Per account, the rep of its latest opportunity (then the larger amount, then the
    rep id first in order)."""
    reps = known["rep"].to_numpy(dtype=object)
    has_rep = reps != ""
    if not has_rep.any():
        return []
    day = known["day"].to_numpy()[has_rep]
    codes = key_codes[has_rep]
    latest = np.full(int(codes.max()) + 1, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(latest, codes, day)
    last = day == latest[codes]  # only the rows on each account's latest day compete
    rep_codes, rep_ids = pd.factorize(reps[has_rep][last], sort=True)
    day, codes = day[last], codes[last]
    units = np.asarray(known["units"].to_numpy()[has_rep][last], dtype=np.float64)
    order = np.lexsort((rep_codes, -units, -day, codes))
    _, first = np.unique(codes[order], return_index=True)
    chosen = order[first]
    return [(keys[codes[i]], rep_ids[rep_codes[i]]) for i in chosen]


def check_totals(
    done: Outcome, frame: pd.DataFrame, all_rows: list[Rows], ctx: Context, reference: Reference
) -> None:
    """SP714: a figure the import would write below 0 (a rep's history, a rep's pipeline in
    a period, an account's won or open), which `check` refuses. Negative rows (credit notes,
    refunds) may net against the positive ones of their rep and account: only a negative
    total is an error. It is reported at the first negative row counted in it, a row taking
    several totals below 0 once."""
    below: dict[tuple[str, ...], Decimal] = {}
    below.update({("history", rep): v for rep, v in done.history.items() if v < 0})
    below.update({("pipeline", *key): v for key, v in done.pipeline.items() if v < 0})
    for account in done.accounts:
        if account.won < 0:
            below["won", account.id] = account.won
        if account.open < 0:
            below["open", account.id] = account.open
    if not below:
        return
    negative = frame[frame["units"] < 0].sort_values(["src", "row"])
    periods = fiscal_months(negative["day"].to_numpy(), ctx.calendar)
    labels, per = ctx.calendar.labels, ctx.calendar.months_per_period
    left = set(below)
    blamed: list[tuple[int, int, list[tuple[str, ...]]]] = []
    columns = negative[["src", "row", "rep", "status", "account", "account_is_id"]].itertuples(
        index=False
    )
    for (src, row, rep, status, account, is_id), month in zip(columns, periods):
        keys: list[tuple[str, ...]] = []
        if rep:
            won = status == "won"
            keys.append(("history", rep) if won else ("pipeline", rep, labels[month // per]))
        if account:
            kind = "won" if status == "won" else "open"
            keys.append((kind, done.account_ids[account, bool(is_id)]))
        if hit := [key for key in keys if key in left]:
            left.difference_update(hit)
            blamed.append((int(src), int(row), hit))
            if not left:
                break
    room = ctx.findings.room("SP714")  # positions only for the findings kept
    for src, row, keys in blamed[:room]:
        rows = all_rows[src]
        header = _amount_header(rows, row)
        value = rows.export.cells(header)[row]
        totals = ", ".join(f"{_total_name(key)} {below[key]}" for key in keys)
        credit = keys[0][0] in ("history", "won")  # of a deal won before the window?
        message = (
            f"amount {value!r} takes a total below 0: {totals}; a negative amount (credit note, "
            "refund) may net against positive ones of its rep and account, but `check` refuses "
            "a negative total: correct the row in the CRM"
            + (" or widen import.yaml `history:` to the deal it credits" if credit else "")
        )
        line = int(rows.export.lines[row])
        ctx.findings.add("SP714", message, rows.export.file, *rows.export.place(line, header))
    ctx.findings.count_only("SP714", len(blamed) - room)


def _total_name(key: tuple[str, ...]) -> str:
    kind, name, *period = key
    if kind in ("history", "pipeline"):
        return f"{kind} of rep {name!r}{f' in {period[0]}' if period else ''}"
    return f"{kind} of account {name!r}"


def _amount_header(rows: Rows, row: int) -> str:
    """The column a row's amount was read from: a closed deal's `closed_amount` when set."""
    closed = rows.columns.get("closed_amount")
    if closed is not None and rows.status[row] != "open" and rows.export.stripped(closed)[row]:
        return closed
    return rows.columns["amount"]

"""From typed opportunity rows to the plan's inputs: won history per rep, weighted open
pipeline per rep and period, and accounts with owner, won and open amounts.

Amounts stay exact: each distinct amount is an integer count of 10^-scale units, summed
in integers, then converted (rate × weight, Decimal) and rounded once per output cell."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
import pandas as pd

from salesplan.importing.cleaning import NO_DAY, Context, Rows, fiscal_months
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
    stats: dict[str, int] = field(default_factory=dict)


@dataclass
class Reference:
    """Accounts from an account export: id -> (name, owner rep id), and names -> id."""

    names: dict[str, str] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    by_name: dict[str, str] = field(default_factory=dict)


def slug(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-") or "account"


def _scale(all_rows: list[Rows]) -> int:
    places = [
        -a.as_tuple().exponent  # type: ignore[operator]
        for rows in all_rows
        for a in rows.amounts
        if a is not None and a.as_tuple().exponent < 0  # type: ignore[operator]
    ]
    return max(places, default=0)


def _units(rows: Rows, scale: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's amount in 10^-scale units (object ints if int64 could overflow) and
    whether it is a number."""
    ints = [int(a.scaleb(scale)) if a is not None else 0 for a in rows.amounts]
    ok = np.array([a is not None for a in rows.amounts], dtype=bool)
    big = max((abs(i) for i in ints), default=0) * max(len(rows.amount_codes), 1) >= 2**62
    values = np.array(ints, dtype=object if big else np.int64)
    if not len(ints):
        return np.zeros(0, np.int64), np.zeros(0, bool)
    return values[rows.amount_codes], ok[rows.amount_codes]


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
                    "account_name": rows.account_name[counted],
                }
            )
        )
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return frame, scale


def _stale(rows: Rows, is_open: np.ndarray, ctx: Context) -> None:
    """Open opportunities that no period of the plan can hold: no close date, or past due."""
    from salesplan.importing.cleaning import _report_rows

    header = rows.columns["close_date"]
    start = ctx.fiscal[0].toordinal()
    no_date = np.flatnonzero(is_open & (rows.day == NO_DAY))
    past = np.flatnonzero(is_open & (rows.day != NO_DAY) & (rows.day < start))
    _report_rows(ctx, rows.export, "SP710", no_date, header,
                 "open opportunity has no close date; it is left out of the pipeline")  # fmt: skip
    _report_rows(ctx, rows.export, "SP710", past, header,
                 f"open opportunity closes on {{value}}, before the fiscal year ({ctx.fiscal[0]}); "
                 "left out of the pipeline: update its close date")  # fmt: skip


def check_counted(frame: pd.DataFrame, all_rows: list[Rows], ctx: Context) -> pd.DataFrame:
    """Report currencies without a rate and rows without an account among the rows that
    count; rows without a rate are dropped (they are errors)."""
    from salesplan.importing.cleaning import _report_rows

    if frame.empty:
        return frame
    rates = known_rates(ctx)
    no_rate = ~frame["currency"].isin(list(rates))
    for currency, group in frame[no_rate].groupby("currency", sort=True):
        first = group.iloc[0]
        rows = all_rows[int(first["src"])]
        header = rows.columns.get("currency", rows.columns["amount"])
        line = int(rows.export.lines[int(first["row"])])
        count = f" ({len(group)} rows)" if len(group) > 1 else ""
        message = (
            f"currency {currency!r} has no rate into {ctx.currency}{count}; "
            f"add it to import.yaml `rates: {{{currency}: ...}}`"
        )
        ctx.findings.add("SP707", message, rows.export.file, line, rows.export.column(line, header))
    for src, group in frame[frame["account"] == ""].groupby("src", sort=True):
        rows = all_rows[int(src)]
        header = (
            rows.columns.get("account") or rows.columns.get("account_id") or rows.columns["amount"]
        )
        _report_rows(ctx, rows.export, "SP709", group["row"].to_numpy(), header,
                     "opportunity has no account; it counts for its rep but no account")  # fmt: skip
    return frame[~no_rate]


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
                won.groupby(["rep", "currency"], sort=True)["units"].sum().items()
            ):
                exact[rep] = (
                    exact.get(rep, Decimal(0)) + Decimal(int(total)) * unit * rates[currency]
                )
            history.update({rep: money(value) for rep, value in exact.items()})
        pipeline, counts = _pipeline(frame, ctx, rates, weights, unit, money)
    accounts = _accounts(frame, reference, rates, unit, money)
    return Outcome(history, pipeline, counts, accounts)


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
        opened.groupby(keys, sort=True)["units"].sum().items()
    ):
        key = (rep, labels[int(period)])
        weighted = Decimal(int(total)) * unit * rates[currency] * Decimal(weights[category])
        exact[key] = exact.get(key, Decimal(0)) + weighted
    sizes = opened.groupby(["rep", "period"], sort=True).size()
    counts = {f"{rep}\0{labels[int(period)]}": int(n) for (rep, period), n in sizes.items()}
    return {key: money(value) for key, value in exact.items()}, counts


def _accounts(
    frame: pd.DataFrame,
    reference: Reference,
    rates: dict[str, Decimal],
    unit: Decimal,
    money: Callable[[Decimal], Decimal],
) -> list[AccountRow]:
    names = dict(reference.names)
    owners = dict(reference.owners)
    won: dict[str, Decimal] = {}
    opened: dict[str, Decimal] = {}
    if not frame.empty:
        known = frame[frame["account"] != ""]
        ids = {a: _account_id(a, reference) for a in pd.unique(known["account"])}
        known = known.assign(key=known["account"].map(ids))
        for (key, status, currency), total in (
            known.groupby(["key", "status", "currency"], sort=True)["units"].sum().items()
        ):
            bucket = won if status == "won" else opened
            bucket[key] = bucket.get(key, Decimal(0)) + Decimal(int(total)) * unit * rates[currency]
        first_names = known.drop_duplicates("key")
        for key, name in zip(first_names["key"], first_names["account_name"]):
            names.setdefault(key, name or key)
        latest = known[known["rep"] != ""].sort_values(
            ["key", "day", "units", "rep"], ascending=[True, False, False, True], kind="stable"
        )
        for key, rep in zip(*[latest.drop_duplicates("key")[c] for c in ("key", "rep")]):
            owners.setdefault(key, rep)
    return [
        AccountRow(
            key,
            names[key],
            owners.get(key, ""),
            money(won.get(key, Decimal(0))),
            money(opened.get(key, Decimal(0))),
        )
        for key in sorted(names)
    ]


def _account_id(account: str, reference: Reference) -> str:
    if account in reference.names:
        return account
    by_name = reference.by_name.get(fold(account))
    if by_name is not None:
        return by_name
    return account if ID.match(account) else slug(account)

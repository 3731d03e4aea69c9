"""Opportunity rows made exact and typed: owner -> rep, stage -> won/lost/open and forecast
category, amount -> exact scaled integer, close date -> day and fiscal month, currency. Every
value that cannot be read is a finding at file:row:column; nothing is guessed.

Work is done once per distinct value (owners, stages, dates and even amounts repeat) and
spread over the rows with numpy, so a million rows take seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from salesplan.fiscal import Calendar
from salesplan.importing.amounts import Amounts, parse_amounts
from salesplan.importing.findings import Findings
from salesplan.importing.mapping import ImportConfig
from salesplan.importing.owners import LEFT_OUT, Owners
from salesplan.importing.presets import Preset, fold, match_columns, missing_fields
from salesplan.importing.reading import Export
from salesplan.importing.values import (
    date_order,
    parse_date,
    parse_flag,
)
from salesplan.words import counted

NO_DAY = 0


@dataclass
class Context:
    config: ImportConfig
    owners: Owners
    findings: Findings
    calendar: Calendar
    currency: str  # the plan's
    history: tuple[date, date]
    fiscal: tuple[date, date]
    counts: dict[str, int] = field(default_factory=dict)  # what the rows were, for the report


@dataclass
class Rows:
    """One export's opportunities, typed; every array has one entry per row."""

    export: Export
    columns: dict[str, str]  # field -> header
    rep: np.ndarray  # rep id, "" when none (unknown or left out)
    status: np.ndarray  # won | lost | open | "" (unmapped)
    category: np.ndarray  # commit | best_case | pipeline | omitted | ""
    amounts: Amounts  # distinct amounts
    amount_codes: np.ndarray  # index into `amounts` per row
    currency: np.ndarray
    day: np.ndarray  # ordinal of the close date, NO_DAY when none
    account: np.ndarray  # account id or name ("" none)
    account_name: np.ndarray
    ids: np.ndarray | None
    account_is_id: bool = False  # `account` read from an account id column, not a name

    def won_in(self, window: tuple[date, date]) -> np.ndarray:
        won: np.ndarray = (self.status == "won") & self.in_window(window)
        return won

    def in_window(self, window: tuple[date, date]) -> np.ndarray:
        return (self.day >= window[0].toordinal()) & (self.day <= window[1].toordinal())


def _cells(export: Export, columns: dict[str, str], name: str) -> np.ndarray | None:
    header = columns.get(name)
    if header is None:
        return None
    return export.cells(header)


def _first_rows(codes: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """For each distinct value code: the first row holding it and how many rows do."""
    first = np.full(count, -1, dtype=np.int64)
    order = np.arange(len(codes) - 1, -1, -1)
    first[codes[order]] = order
    return first, np.bincount(codes, minlength=count)


def report_rows(
    ctx: Context, export: Export, code: str, rows: np.ndarray, header: str, message: str
) -> None:
    """A finding per row in `rows` (positions worked out only for those kept)."""
    room = ctx.findings.room(code)
    for row in rows[:room]:
        line = int(export.lines[row])
        value = export.cells(header)[row]
        ctx.findings.add(
            code, message.format(value=value), export.file, *export.place(line, header)
        )
    ctx.findings.count_only(code, max(0, len(rows) - room))


def _report_values(
    ctx: Context, export: Export, code: str, header: str, items: list[tuple[int, int, str]]
) -> None:
    """A finding per distinct value, at its first row: (first row, rows, message)."""
    for row, count, message in items:
        line = int(export.lines[row])
        rows = f" ({counted(count, 'row')})" if count > 1 else ""
        ctx.findings.add(code, f"{message}{rows}", export.file, *export.place(line, header))


def read_rows(export: Export, preset: Preset, ctx: Context) -> Rows | None:
    columns = match_columns(export.header, preset.opportunities)
    missing = missing_fields(columns)
    if missing:
        message = (
            f"the {preset.name} preset finds no column for {', '.join(missing)}; "
            f"columns are {', '.join(map(repr, export.header[:12]))}; map them in import.yaml `columns:`"
        )
        ctx.findings.add("SP702", message, export.file, 1, 1)
        return None
    rep = _owners(export, columns, ctx)
    status, category = _statuses(export, columns, preset, ctx)
    amounts, amount_codes, cell_currency = _amounts(export, columns, status, ctx)
    day = _days(export, columns, status, ctx)
    currency = _currencies(export, columns, cell_currency, ctx)
    empty = np.full(len(export.frame), "", dtype=object)
    ids = export.stripped(columns["id"]) if "id" in columns else None
    account_id = _cells(export, columns, "account_id")
    account_name = _cells(export, columns, "account")
    if account_name is None:
        account_name = account_id if account_id is not None else empty
    account = account_id if account_id is not None else account_name
    return Rows(
        export, columns, rep, status, category, amounts, amount_codes, currency, day,
        account, account_name, ids, account_id is not None,
    )  # fmt: skip


def _owners(export: Export, columns: dict[str, str], ctx: Context) -> np.ndarray:
    used = [name for name in ("owner", "owner_id", "owner_email") if name in columns]
    cells = _cells(export, columns, used[0])
    assert cells is not None
    for other in used[1:]:
        more = _cells(export, columns, other)
        assert more is not None
        cells = np.where(cells == "", more, cells)
    codes, uniques = _factorize(export, columns[used[0]], cells, len(used) == 1)
    first, counts = _first_rows(codes, len(uniques))
    reps = np.empty(len(uniques), dtype=object)
    problems: list[tuple[int, int, str]] = []
    for i, value in enumerate(uniques):
        if value == "":
            reps[i] = ""
            problems.append((int(first[i]), int(counts[i]), "opportunity has no owner"))
            continue
        rep, why = ctx.owners.resolve(value)
        reps[i] = "" if rep in (None, LEFT_OUT) else rep
        if rep is None:
            problems.append(
                (int(first[i]), int(counts[i]), f"owner {value!r} matches no rep; {why}")
            )
    _report_values(ctx, export, "SP703", columns[used[0]], problems)
    owners: np.ndarray = reps[codes]
    return owners


def _statuses(
    export: Export, columns: dict[str, str], preset: Preset, ctx: Context
) -> tuple[np.ndarray, np.ndarray]:
    n = len(export.frame)
    status = np.full(n, "", dtype=object)
    stage_category = np.full(n, "", dtype=object)
    stage_cells = _cells(export, columns, "stage")
    if stage_cells is not None:
        codes, uniques = export.codes(columns["stage"])
        rules = [preset.stages.get(fold(v)) for v in uniques]
        status = np.array([r.status if r else "" for r in rules], dtype=object)[codes]
        stage_category = np.array([(r.category or "") if r else "" for r in rules], dtype=object)[
            codes
        ]
    flags = {}
    for name in ("won", "closed"):
        cells = _cells(export, columns, name)
        if cells is not None:
            flags[name] = _flags(export, columns[name], cells, ctx)
    if flags:
        won = flags.get("won", np.zeros(n, dtype=bool))
        if "closed" in flags:
            status = np.where(won, "won", np.where(flags["closed"], "lost", "open")).astype(object)
        else:
            status = np.where(won, "won", np.where(status == "won", "lost", status)).astype(object)
    state_cells = _cells(export, columns, "state")
    if state_cells is not None:
        codes, uniques = export.codes(columns["state"])
        status = np.array([preset.states.get(fold(v), "") for v in uniques], dtype=object)[codes]
    unmapped = status == ""
    if unmapped.any():
        header = columns.get("state") or columns.get("stage") or columns.get("won", "")
        _unmapped(export, header, unmapped, ctx, "status", "stages: {{value}: won | lost | open}")
    return status, _categories(export, columns, preset, status, stage_category, ctx)


def _flags(export: Export, header: str, cells: np.ndarray, ctx: Context) -> np.ndarray:
    codes, uniques = export.codes(header)
    parsed = [parse_flag(v) for v in uniques]
    bad = (
        np.array([p is None for p in parsed], dtype=bool)[codes]
        if len(uniques)
        else np.zeros(0, bool)
    )
    if bad.any():
        report_rows(ctx, export, "SP704", np.flatnonzero(bad), header,
                     "{value!r} is not true or false")  # fmt: skip
    return np.array([bool(p) for p in parsed], dtype=bool)[codes] if len(uniques) else bad


def _unmapped(
    export: Export, header: str, rows: np.ndarray, ctx: Context, what: str, fix: str
) -> None:
    cells = export.cells(header)[rows] if header else np.array([""] * int(rows.sum()))
    where = np.flatnonzero(rows)
    codes, uniques = pd.factorize(cells)
    first, counts = _first_rows(codes, len(uniques))
    items = []
    for i, value in enumerate(uniques):
        value = value.strip()
        hint = fix.replace("{value}", repr(value) if value else "''")
        items.append((int(where[first[i]]), int(counts[i]),
                      f"{header} {value!r} is not mapped to a {what}; map it in import.yaml `{hint}`"))  # fmt: skip
    _report_values(ctx, export, "SP704", header, items)


def _categories(
    export: Export,
    columns: dict[str, str],
    preset: Preset,
    status: np.ndarray,
    stage_category: np.ndarray,
    ctx: Context,
) -> np.ndarray:
    category = stage_category.copy()
    cells = _cells(export, columns, "category")
    is_open = status == "open"
    if cells is not None:
        codes, uniques = export.codes(columns["category"])
        mapped = [preset.categories.get(fold(v), "?" if v else "") for v in uniques]
        given = np.array(mapped, dtype=object)[codes]
        bad = is_open & (given == "?")
        if bad.any():
            _unmapped(export, columns["category"], bad, ctx, "forecast category",
                      "categories: {{value}: commit | best_case | pipeline | omitted}")  # fmt: skip
        category = np.where(given != "", given, category).astype(object)
    if preset.default_category:
        category = np.where(category == "", preset.default_category, category).astype(object)
    lacking = is_open & (category == "")
    if lacking.any():
        header = columns.get("stage") or columns.get("category", "")
        _unmapped(export, header, lacking, ctx, "forecast category",
                  "stages: {{value}: {status: open, category: pipeline}}")  # fmt: skip
    category[category == "?"] = ""
    result: np.ndarray = category
    return result


def _amounts(
    export: Export, columns: dict[str, str], status: np.ndarray, ctx: Context
) -> tuple[Amounts, np.ndarray, np.ndarray]:
    cells = (
        _cells(export, columns, "amount")
        if "closed_amount" in columns
        else export.frame[columns["amount"]].to_numpy(dtype=object)
    )
    assert cells is not None
    cells, header, closed_cells = _closed_first(export, columns, status, cells, "amount")
    numbers = ctx.config.numbers
    decimal, thousands = (
        (numbers.decimal, numbers.thousands)
        if numbers
        else ((",", ".") if export.european else (".", ","))
    )
    # Amounts rarely repeat: each row is parsed (in C), not each distinct value.
    uniques = export.stripped(columns["amount"]) if closed_cells is None else cells
    codes = np.arange(len(uniques))
    amounts = parse_amounts(uniques, decimal, thousands)
    bad = ~amounts.ok[codes] if len(uniques) else np.zeros(0, bool)
    hint = "decimal comma" if decimal == "," else "decimal point"
    for name in set(header[bad]):
        rows = np.flatnonzero(bad & (header == name))
        report_rows(ctx, export, "SP705", rows, name,
                     f"amount {{value!r}} is not a number (read with a {hint}; "
                     "import.yaml `numbers:` sets the locale)")  # fmt: skip
    cell_currency = amounts.written[codes] if len(uniques) else np.zeros(0, object)
    return amounts, codes, cell_currency


def _closed_first(
    export: Export, columns: dict[str, str], status: np.ndarray, cells: np.ndarray, field: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """`cells` of `field` with the closed column's value (`closed_amount`, `closed_date`)
    where a deal is no longer open and that column is filled; which column each cell came
    from (for diagnostics); and the closed column's cells, None without one."""
    closed = "closed_date" if field == "close_date" else f"closed_{field}"
    header = np.full(len(cells), columns[field], dtype=object)
    closed_cells = _cells(export, columns, closed)
    if closed_cells is not None:
        use = (status != "open") & (closed_cells != "")
        cells = np.where(use, closed_cells, cells)
        header = np.where(use, columns[closed], header)
    return cells, header, closed_cells


def _factorize(
    export: Export, header: str, cells: np.ndarray, whole_column: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Codes and distinct values of `cells`: the column's own when they are the column."""
    if whole_column:
        return export.codes(header)
    codes, uniques = pd.factorize(cells)
    return codes, np.asarray(uniques, dtype=object)


def _days(export: Export, columns: dict[str, str], status: np.ndarray, ctx: Context) -> np.ndarray:
    cells = _cells(export, columns, "close_date")
    assert cells is not None
    cells, header, closed_cells = _closed_first(export, columns, status, cells, "close_date")
    codes, uniques = _factorize(export, columns["close_date"], cells, closed_cells is None)
    order: str | None = ctx.config.dates
    if order is None:
        order, problem = date_order([v for v in uniques if v], export.european)
        if problem:
            first = int(np.flatnonzero(cells != "")[0])
            name = str(header[first])
            line = int(export.lines[first])
            message = f"column {name!r} {problem}; set import.yaml `dates: dmy` or `dates: mdy`"
            ctx.findings.add("SP706", message, export.file, *export.place(line, name))
            return np.full(len(cells), NO_DAY, dtype=np.int64)
    parsed = [parse_date(v, order) if v else None for v in uniques]
    ordinals = np.array([d.toordinal() if d else NO_DAY for d in parsed], dtype=np.int64)
    bad = np.array([bool(v) and d is None for v, d in zip(uniques, parsed)], dtype=bool)
    if len(uniques) and bad[codes].any():
        rows_bad = bad[codes]
        for name in set(header[rows_bad]):
            report_rows(ctx, export, "SP706", np.flatnonzero(rows_bad & (header == name)), name,
                         "{value!r} is not a date")  # fmt: skip
    return ordinals[codes] if len(uniques) else np.zeros(0, np.int64)


def _currencies(
    export: Export, columns: dict[str, str], cell_currency: np.ndarray, ctx: Context
) -> np.ndarray:
    default = ctx.config.currency or ctx.currency
    header = columns.get("currency")
    if not any(cell_currency[:1]) and not (cell_currency != "").any():
        if header is None:
            return np.full(len(cell_currency), default, dtype=object)
        codes, uniques = export.codes(header)
        named = np.array([(v or default).upper() for v in uniques], dtype=object)
        return named[codes] if len(uniques) else np.zeros(0, dtype=object)
    cells = _cells(export, columns, "currency")
    cells = cell_currency if cells is None else np.where(cells == "", cell_currency, cells)
    result: np.ndarray = np.where(cells == "", default, cells).astype(object)
    codes, uniques = pd.factorize(result)
    return np.array([v.upper() for v in uniques], dtype=object)[codes] if len(uniques) else result


def fiscal_months(day: np.ndarray, calendar: Calendar) -> np.ndarray:
    """The fiscal month of each close day (the calendar's month index)."""
    codes, uniques = pd.factorize(day)
    months = [
        calendar.month_index(date.fromordinal(int(d))) if d > NO_DAY else -10_000 for d in uniques
    ]
    return np.asarray(months, dtype=np.int64)[codes] if len(uniques) else np.zeros(0, np.int64)

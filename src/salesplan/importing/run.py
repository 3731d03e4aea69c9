"""One import, start to end: read the mapping and the exports, recognise each export, make
the rows exact, add them up, and work out (then, unless told not to, write) the changes."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from salesplan.diagnostics import Diagnostic
from salesplan.importing.aggregate import (
    Reference,
    check_counted,
    check_totals,
    export_ids,
    frame_of,
    outcome,
)
from salesplan.importing.cleaning import Context, Rows, read_rows
from salesplan.importing.mapping import (
    MAPPING_FILE,
    ImportConfig,
    fiscal_window,
    history_window,
    load_config,
    with_mapping,
)
from salesplan.importing.nearby import Values
from salesplan.importing.owners import LEFT_OUT, Owners
from salesplan.importing.presets import PRESETS, Detected, detect, fold, not_recognised
from salesplan.importing.reading import Export, Unreadable, read_export
from salesplan.importing.records import FileRead, ImportOptions, ImportResult
from salesplan.importing.writing import (
    accounts_change,
    metrics_change,
    read_state,
    state_change,
    submissions_change,
    write_changes,
)
from salesplan.plan import Plan


def display(path: Path) -> str:
    relative = os.path.relpath(path)
    return str(path) if relative.startswith("..") else relative


def run(plan: Plan, options: ImportOptions) -> ImportResult:
    result = ImportResult(plan.settings.currency, dry_run=options.dry_run)
    problems: list[Diagnostic] = []
    config = load_config(options.mapping or plan.root / MAPPING_FILE, problems)
    result.findings.extend(problems)
    if config is None:
        return result
    fiscal_start = plan.settings.fiscal_year.start
    ctx = Context(
        config,
        Owners.of(plan.org.reps, config.owners),
        result.findings,
        plan.calendar,
        plan.settings.currency,
        history_window(config, fiscal_start),
        fiscal_window(fiscal_start),
    )
    result.history, result.fiscal = ctx.history, ctx.fiscal
    recognised = _recognise(options, config, result)
    options.step("checking the rows")
    values = Values()
    reference = _references(recognised, ctx, values)
    all_rows: list[Rows] = []
    for export, found in recognised:
        if found.kind == "opportunities":
            rows = read_rows(export, found.preset, ctx)
            if rows is not None:
                all_rows.append(rows)
                for name in (
                    "owner",
                    "account",
                    "stage",
                    "category",
                    "currency",
                    "pipeline",
                    "product",
                ):
                    if name in rows.columns:
                        values.add_column(name, export, rows.columns[name])
    if not all_rows and not result.findings.errors:
        result.findings.add(
            "SP702", "none of the files is an opportunity export", *_first(options), 1, 1
        )
    _duplicates(all_rows, ctx)
    values.report(result.findings)
    options.step("adding up")
    frame, scale = frame_of(all_rows, ctx)
    frame = check_counted(frame, all_rows, ctx)
    result.counts = ctx.counts
    result.source = options.source or config.source or _source_name(recognised)
    if result.findings.errors:
        return result
    reps = [r.id for r in plan.org.reps]
    done = outcome(frame, scale, ctx, reps, reference, plan.currency_exponent)
    check_totals(done, frame, all_rows, ctx, reference)  # only on rows without errors
    if result.findings.errors:
        return result
    _history_given_inline(plan, result)
    state = read_state(plan)
    changes = [
        metrics_change(plan, done, state),
        submissions_change(plan, done, result.source, state),
        accounts_change(plan, done, state, options.force),
    ]
    changes.append(state_change(plan, done, changes))
    result.changes = changes
    if options.dry_run or (result.refused and not options.force):
        return result
    options.step("writing")
    write_changes(plan, changes)
    result.written = True
    return result


def _first(options: ImportOptions) -> tuple[str]:
    return (display(options.files[0]) if options.files else "-",)


def _recognise(
    options: ImportOptions, config: ImportConfig, result: ImportResult
) -> list[tuple[Export, Detected]]:
    wanted = options.preset or config.preset
    found: list[tuple[Export, Detected]] = []
    for path in options.files:
        name = display(path)
        options.step(f"reading {path.name}")
        try:
            export = read_export(path, name)
        except Unreadable as err:
            result.findings.extend([err.problem])
            continue
        if wanted is not None:
            detected = detect(export.header, with_mapping(PRESETS[wanted], config))
        else:
            candidates = [detect(export.header, with_mapping(p, config)) for p in PRESETS.values()]
            hits = [d for d in candidates if d is not None]
            detected = max(
                hits, key=lambda d: (d.kind == "opportunities", len(d.columns)), default=None
            )
        if detected is None:
            mapped = with_mapping(PRESETS[wanted or "generic"], config).opportunities
            message = not_recognised(export.header, wanted or "preset", mapped)
            result.findings.add("SP702", message, name, 1, 1)
            continue
        try:
            export.load(list(detected.columns.values()))
        except Unreadable as err:
            result.findings.extend([err.problem])
            continue
        found.append((export, detected))
        result.files.append(
            FileRead(
                name,
                detected.kind,
                detected.preset.name,
                wanted is None,
                len(export.frame),
                export.encoding,
                export.delimiter,
                detected.columns,
            )
        )
    return found


def _references(
    recognised: list[tuple[Export, Detected]], ctx: Context, values: Values
) -> Reference:
    """Users first (owner ids become names), then accounts and products."""
    reference = Reference()
    for export, found in recognised:
        if found.kind == "users":
            cells = {f: export.cells(h).tolist() for f, h in found.columns.items()}
            n = len(export.frame)
            first, last = cells.get("first_name", [""] * n), cells.get("last_name", [""] * n)
            names = cells.get("name") or [f"{a} {b}".strip() for a, b in zip(first, last)]
            for user_id, name, email in zip(
                cells.get("id", [""] * n), names, cells.get("email", [""] * n)
            ):
                ctx.owners.add_user(user_id, name, email)
    for export, found in recognised:
        if found.kind == "products":
            values.add_column("product", export, found.columns["name"])
        if found.kind != "accounts":
            continue
        cells = {f: export.cells(h).tolist() for f, h in found.columns.items()}
        names = cells.get("name") or cells["id"]
        ids = export_ids(cells.get("id"), names)
        owner_field = next((f for f in ("owner", "owner_id", "owner_email") if f in cells), None)
        resolved: dict[str, tuple[str | None, str]] = {}
        for i, (account_id, name) in enumerate(zip(ids, names)):
            if not account_id:
                continue
            reference.names[account_id] = name or account_id
            reference.by_name.setdefault(fold(name), account_id)
            if owner_field and cells[owner_field][i]:
                owner = cells[owner_field][i]
                if owner not in resolved:
                    resolved[owner] = ctx.owners.resolve(owner)
                rep, why = resolved[owner]
                if rep not in (None, LEFT_OUT):
                    reference.owners[account_id] = rep
                elif rep is None:
                    header = found.columns[owner_field]
                    line = int(export.lines[i])
                    message = f"account owner {cells[owner_field][i]!r} matches no rep; {why}"
                    ctx.findings.add("SP703", message, export.file, *export.place(line, header))
        if "name" in found.columns:
            values.add_column("account", export, found.columns["name"])
    return reference


def _duplicates(all_rows: list[Rows], ctx: Context) -> None:
    """An opportunity id twice (overlapping exports) would count twice: an error."""
    with_ids = [(i, rows) for i, rows in enumerate(all_rows) if rows.ids is not None]
    if not with_ids:
        return
    ids = np.concatenate([rows.ids for _, rows in with_ids if rows.ids is not None])
    src = np.concatenate([np.full(len(rows.ids), i) for i, rows in with_ids])  # type: ignore[arg-type]
    row = np.concatenate([np.arange(len(rows.ids)) for _, rows in with_ids])  # type: ignore[arg-type]
    present = ids != ""
    frame = pd.DataFrame({"id": ids[present], "src": src[present], "row": row[present]})
    again = frame.duplicated("id", keep="first")
    if not again.any():
        return
    firsts = frame[~again].set_index("id")
    for _, dup in frame[again].iterrows():
        if not ctx.findings.room("SP712"):
            ctx.findings.count_only("SP712", int(again.sum()) - 50)
            break
        rows = all_rows[int(dup["src"])]
        first = firsts.loc[dup["id"]]
        first_rows = all_rows[int(first["src"])]
        line = int(rows.export.lines[int(dup["row"])])
        where = f"{first_rows.export.file}:{int(first_rows.export.lines[int(first['row'])])}"
        message = (
            f"opportunity {dup['id']!r} is already on {where}; it would count twice: drop one row"
        )
        header = rows.columns["id"]
        ctx.findings.add("SP712", message, rows.export.file, *rows.export.place(line, header))


def _source_name(recognised: list[tuple[Export, Detected]]) -> str:
    presets = [d.preset.name for _, d in recognised if d.kind == "opportunities"]
    return presets[0] if presets else "crm"


def _history_given_inline(plan: Plan, result: ImportResult) -> None:
    """A rep's own `metrics: {history: ...}` in org.yaml wins over metrics.csv."""
    for rep in plan.org.reps:
        if "history" in rep.metrics:
            where = plan.at_rep(rep.id, "metrics", "history")
            message = (
                f"rep {rep.id!r} gives its history in {where.file}, which wins over the "
                "imported metrics.csv value; remove it there to use the import"
            )
            result.findings.add("SP711", message, where.file, where.line, where.column)

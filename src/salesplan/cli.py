"""The `salesplan` command line: one short function per command (load, compute, render).

Errors that stop a command are turned into exit codes in one place, `SalesplanGroup.invoke`:
2 for usage errors and unreadable input, 3 for anything unexpected (one line; `--debug`
shows the traceback). Exit 1 means the plan has errors.

No `from __future__ import annotations` here: typer reads every command's annotations on each
run, and as strings it would eval() each of them (about 15 ms a command); as objects they
are made once, when the module is run (the names only type checkers know are quoted).
"""

import gc
import os
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from salesplan import __version__
from salesplan.ci import CiProvider
from salesplan.escape import printable
from salesplan.help import (
    HelpCommand,
    date_option,
    format_option,
    min_change_option,
    parse_ratio,
    path_help,
)
from salesplan.render.output import TABLES, Format
from salesplan.render.scenario_format import choose_format
from salesplan.words import counted, noun

if TYPE_CHECKING:
    from salesplan.loading import Loaded, Shared
    from salesplan.plan import Plan
    from salesplan.reconcile import Reconciliation
    from salesplan.revisions import Side


class InputError(Exception):
    """A problem with what the user asked for (exit 2), reported as one line."""


class SalesplanGroup(TyperGroup):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for command in self.commands.values():
            HelpCommand.adopt(command)

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except BrokenPipeError:
            # The reader went away (`salesplan ... | head`): stop quietly, as `cat` does,
            # with the status a process killed by SIGPIPE has.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(128 + 13) from None
        except Exception as err:
            from salesplan.loading import PlanNotFound
            from salesplan.scaffold import UnknownExample

            if isinstance(err, OSError):
                from salesplan.fsutil import os_error_text

                fail(os_error_text(err), 2)
            if isinstance(err, (PlanNotFound, InputError, UnknownExample)):
                fail(str(err), 2)
            if ctx.obj and ctx.obj.get("debug"):
                import traceback

                traceback.print_exc()
            else:
                typer.echo(
                    f"salesplan: internal error: {type(err).__name__}: {err} "
                    "(rerun with --debug for the traceback)",
                    err=True,
                )
            raise typer.Exit(3) from None


app = typer.Typer(
    cls=SalesplanGroup,
    help="Sales planning as code: check, allocate, roll up, reconcile, diff and report a plan.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help, laid out like gh's and ruff's (salesplan.help)
)

PlanArg = Annotated[
    Path | None,
    typer.Argument(
        help="Plan folder or its salesplan.yaml; default: found from the current folder upward.",
        show_default=False,
        metavar="PLAN",
    ),
]


ScenarioOption = Annotated[
    str | None,
    typer.Option(
        "--scenario",
        metavar="NAME",
        help="Run on the plan as scenarios/NAME.yaml changes it (see `salesplan scenarios`).",
        show_default=False,
    ),
]


def fail(message: str, code: int) -> NoReturn:
    """Exit `code` with `message` on stderr; a revision, path or owner in it is user text,
    so no control or bidi character of it reaches the terminal raw."""
    from salesplan.escape import printable_lines

    typer.echo(f"salesplan: {printable_lines(message)}", err=True)
    raise typer.Exit(code)


def emit(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"salesplan {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks of internal errors.")
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    ctx.obj = {"debug": debug}


CHECK_FORMATS = (Format.text, Format.json, Format.github, Format.sarif)


@app.command()
def check(
    plan: PlanArg = None,
    strict: Annotated[bool, typer.Option("--strict", help="Warnings fail too.")] = False,
    format: Annotated[str | None, format_option(CHECK_FORMATS)] = None,
    scenario: ScenarioOption = None,
) -> None:
    """Report every problem in the plan (and in each of its scenarios, unless --scenario
    names one); print nothing and exit 0 when it is clean."""
    from salesplan.diagnostics import capped
    from salesplan.loading import Shared
    from salesplan.render import diagnostics as render
    from salesplan.whatif import scenario_diagnostics

    shared = Shared()  # the scenarios' checks read the files the plan's check parsed
    loaded = load_with_progress(plan, scenario, shared=shared)
    found = loaded.diagnostics
    if scenario is None:
        found = capped(found + scenario_diagnostics(plan, loaded, shared=shared))
    failed = render.failed(found, strict)
    render.show(found, Format(format or "text"), failed)
    raise typer.Exit(1 if failed else 0)


@app.command()
def init(
    directory: Annotated[
        Path, typer.Argument(help="Folder for the new plan repository.", metavar="DIR")
    ],
    example: Annotated[
        str, typer.Option(metavar="NAME", help="Which example plan to write (default acme).")
    ] = "acme",
    force: Annotated[bool, typer.Option("--force", help="Overwrite files that exist.")] = False,
    ci: Annotated[
        CiProvider | None,
        typer.Option(
            metavar="PROVIDER",
            help="Also write a CI workflow: github or gitlab (at the git repository's root).",
        ),
    ] = None,
    templates: Annotated[
        str | None,
        typer.Option(
            metavar="xlsx",
            help="Also write a submission workbook per rep expected to submit, to send out.",
        ),
    ] = None,
) -> None:
    """Write a complete, valid example plan repository into DIR."""
    from salesplan.ci import with_ci
    from salesplan.render.init import written_lines
    from salesplan.scaffold import scaffold

    if templates not in (None, "xlsx"):
        raise typer.BadParameter(f"{templates!r}: the templates are xlsx", param_hint="--templates")
    if directory.is_symlink() and not directory.exists():
        fail(f"{directory} is a broken symlink; remove it or give another folder", 2)
    if directory.exists() and not directory.is_dir():
        fail(f"{directory} exists and is not a folder", 2)
    files, elsewhere = with_ci(scaffold(example), ci, directory)
    planned = [*files.files, "quotas.yaml", *(["templates/submissions/"] if templates else [])]
    refuse_unwritable(directory, planned, "nothing was written")
    conflicts = files.conflicts(directory) + elsewhere.conflicts(Path("."))
    conflicts += [name for name in ["quotas.yaml"] if (directory / name).exists()]
    if conflicts and not force:
        listed = "\n".join(f"  {directory / name}" for name in conflicts)
        fail(
            f"not overwriting {counted(len(conflicts), 'existing file')}:\n{listed}\nUse --force.",
            2,
        )
    written = [*files.write(directory), write_quotas(directory)]
    skipped = write_templates(directory, written) if templates else []
    typer.echo(written_lines(directory, written, elsewhere.write(Path(".")), skipped), err=True)


def refuse_output(output: Path, force: bool) -> None:
    """Exit 2 when `-o output` is a folder, or a file that exists and --force is not given."""
    from salesplan.fsutil import output_refused

    if refused := output_refused(output, force):
        fail(refused, 2)


def refuse_unwritable(directory: Path, names: list[str], outcome: str) -> None:
    """Exit 2 when a file of `names` cannot be written in the plan folder `directory` (a
    symlink on the way leads out of it, something stands in the way), naming each path."""
    from salesplan.fsutil import unwritable

    reasons = list(dict.fromkeys(r for name in names if (r := unwritable(directory, name))))
    if len(reasons) == 1:
        fail(f"{reasons[0]} ({outcome})", 2)
    if reasons:
        fail(f"{outcome}:\n" + "\n".join(f"  {reason}" for reason in reasons), 2)


def write_templates(directory: Path, written: list[str]) -> list[str]:
    """A submission workbook per rep of the freshly written plan expected to submit, under
    templates/ (added to `written`); the reps left out."""
    from salesplan.fsutil import write_atomic
    from salesplan.loading import load_plan
    from salesplan.render.submission_template import submitters, templates

    plan = load_plan(directory).plan
    assert plan is not None
    found = templates(plan)
    refuse_unwritable(directory, list(found), "no workbook was written")
    for name, data in found.items():
        write_atomic(directory / name, data)
    written += found
    return submitters(plan)[1]


def write_quotas(directory: Path) -> str:
    """Allocate the freshly written example and commit its quotas.yaml, as a user would."""
    from salesplan.fsutil import write_atomic
    from salesplan.loading import load_plan
    from salesplan.quotas import quotas_yaml

    plan = load_plan(directory).plan
    assert plan is not None
    target = plan.root / plan.settings.files.quotas
    write_atomic(target, quotas_yaml(plan.allocation, plan.digest).encode())
    return target.name


class SchemaKind(str, Enum):
    plan = "plan"
    org = "org"
    territories = "territories"
    submission = "submission"
    quotas = "quotas"
    scenario = "scenario"


@app.command()
def schema(
    kind: Annotated[
        SchemaKind | None,
        typer.Argument(
            metavar="KIND",
            help="plan, org, territories, submission, quotas or scenario; default: all.",
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="PATH",
            help=path_help("Write the schema to this file; without KIND, a folder of them"),
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite files that exist.")] = False,
) -> None:
    """Print the JSON Schema of the plan files, for editors (yaml-language-server)."""
    import json

    from salesplan.fsutil import write_atomic
    from salesplan.schema import json_schema, schema_files

    text = json.dumps(
        json_schema(kind.value) if kind else {k.value: json_schema(k.value) for k in SchemaKind},
        indent=2,
    )
    files = {output: text + "\n"} if output is not None and kind is not None else {}
    if output is not None and kind is None:
        files = {output / name: body for name, body in schema_files().items()}
    if output is not None and kind is not None:
        refuse_output(output, force)
    existing = [str(path) for path in files if path.exists()]
    if existing and not force:
        fail(f"not overwriting {', '.join(existing)}; use --force to replace", 2)
    for path, body in files.items():
        write_atomic(path, body.encode())
    if output is None:
        emit(text + "\n")


def load_or_exit(plan_arg: Path | None, scenario: str | None = None) -> "Plan":
    """The plan, or exit 1 listing its errors: no command computes on a broken plan. The
    checks that only warn are skipped: a command that computes shows no warning (`check`
    reports them, and a stale quotas.yaml)."""
    return require_clean(load_with_progress(plan_arg, scenario, warnings=False))


def load_with_progress(
    plan_arg: Path | None,
    scenario: str | None = None,
    warnings: bool = True,
    shared: "Shared | None" = None,
) -> "Loaded":
    from salesplan.loading import load_plan
    from salesplan.render.progress import loading_progress

    with loading_progress(plan_arg) as step:
        return load_plan(plan_arg, step, scenario, shared, warnings=warnings)


def require_clean(loaded: "Loaded") -> "Plan":
    """The loaded plan, or exit 1 listing its errors (`Loaded.blocking`: a stale or
    hand-edited quotas.yaml does not block, the commands compute the quotas anyway)."""
    blocking = loaded.blocking
    if loaded.plan is None or blocking:
        for d in blocking:
            typer.echo(str(d), err=True)
        errors = len(blocking)
        them = noun(errors, "it", "them")
        fail(f"the plan has {counted(errors, 'error')}; fix {them} first (salesplan check)", 1)
    return loaded.plan


def both_plans(before: "Side", after: "Side") -> "tuple[Plan, Plan]":
    """The two plans of a comparison, or exit 1 listing their errors."""
    for side in (before, after):
        for d in side.problems:
            typer.echo(str(d), err=True)
        if side.plan is None:
            fail(f"{side.label}: the plan has errors; fix them first (salesplan check)", 1)
    assert before.plan is not None and after.plan is not None
    return before.plan, after.plan


TableFormatOption = Annotated[str | None, format_option(TABLES)]


@app.command()
def allocate(
    plan: PlanArg = None,
    write: Annotated[bool, typer.Option("--write", help="Write quotas.yaml (atomically).")] = False,
    explain: Annotated[
        str | None, typer.Option(help="Explain how this node's quota was reached.", metavar="ID")
    ] = None,
    format: TableFormatOption = None,
    scenario: ScenarioOption = None,
) -> None:
    """Split the target top-down: levels, over-assignment, pins, phasing, exact rounding."""
    from salesplan.allocate import explain as explain_node
    from salesplan.diagnostics import did_you_mean
    from salesplan.fsutil import write_atomic
    from salesplan.loading import display_name
    from salesplan.quotas import quotas_yaml
    from salesplan.render import allocation as view

    fmt = Format(format or "text")
    if explain is not None and fmt is Format.csv:
        raise typer.BadParameter("--explain writes text, json or markdown", param_hint="--format")
    loaded = load_or_exit(plan, scenario)
    result = loaded.allocation
    if write:
        target = loaded.root / loaded.settings.files.quotas
        write_atomic(target, quotas_yaml(result, loaded.digest).encode())
        typer.echo(
            f"Wrote {printable(display_name(target))} ({counted(len(result.nodes), 'node')}).",
            err=True,
        )
        if format is None and explain is None:
            return
    if explain is not None:
        if explain not in loaded.tree:
            fail(
                f"no node {explain!r} in the plan{did_you_mean(explain, (n.id for n in loaded.tree.top_down()))}",
                2,
            )
        view.render_explanation(loaded, explain_node(loaded, result, explain), fmt)
        return
    view.render(loaded, result, fmt)


@app.command()
def capacity(
    plan: PlanArg = None,
    hire_start: Annotated[
        str | None, date_option("When hires would start (YYYY-MM-DD); default the year's start.")
    ] = None,
    table: Annotated[
        str | None,
        typer.Option(metavar="NAME", help="Show one table: periods or reps (CSV: periods)."),
    ] = None,
    format: TableFormatOption = None,
    scenario: ScenarioOption = None,
) -> None:
    """Ramp-adjusted capacity per period vs target, cost of sales and hires needed."""
    from salesplan.capacity import capacity_report
    from salesplan.help import parse_date
    from salesplan.quotas import current_quotas
    from salesplan.render import capacity as view
    from salesplan.render.table import display_decimals

    loaded = load_or_exit(plan, scenario)
    quotas, source = current_quotas(loaded)
    report = capacity_report(loaded, quotas, parse_date(hire_start), source)
    fmt, e = Format(format or "text"), loaded.currency_exponent
    labels = [loaded.calendar.shown_label(i) for i in range(len(loaded.periods))]
    view.render(report, fmt, e, display_decimals(loaded), checked_table(table, view.TABLES), labels)


def checked_table(name: str | None, known: tuple[str, ...]) -> str | None:
    """`--table NAME`, or a usage error naming the tables."""
    from salesplan.diagnostics import did_you_mean

    if name is not None and name not in known:
        hint = did_you_mean(name, known) or f"; the tables are {', '.join(known)}"
        raise typer.BadParameter(f"no table {name!r}{hint}", param_hint="--table")
    return name


@app.command()
def rollup(
    plan: PlanArg = None,
    level: Annotated[
        str | None, typer.Option(metavar="NAME", help="Show only this level (e.g. region).")
    ] = None,
    period: Annotated[
        str | None, typer.Option(metavar="PERIOD", help="Show only this period (e.g. Q2).")
    ] = None,
    format: TableFormatOption = None,
    scenario: ScenarioOption = None,
) -> None:
    """Roll rep submissions up the tree and compare them with the quotas."""
    from salesplan.quotas import current_quotas
    from salesplan.render import rollup as view
    from salesplan.rollup import rollup as roll_up
    from salesplan.rollup import select

    loaded = load_or_exit(plan, scenario)
    quotas, source = current_quotas(loaded)
    try:
        whole = select(roll_up(loaded, quotas), None, period, loaded.calendar)
        result = select(whole, level)
    except ValueError as err:
        fail(str(err), 2)
    view.render(loaded, result, source, Format(format or "text"), whole)


@app.command()
def reconcile(
    plan: PlanArg = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write the proposal in the quotas.yaml format, for review.",
            metavar="FILE",
        ),
    ] = None,
    accept: Annotated[
        bool,
        typer.Option(
            "--accept", help="Accept the proposal: write its changes as pins to adjustments.yaml."
        ),
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists.")] = False,
    format: TableFormatOption = None,
    scenario: ScenarioOption = None,
) -> None:
    """The hybrid proposal: top-down pools kept, quotas moved toward bottom-up within guardrails."""
    from salesplan.fsutil import write_atomic
    from salesplan.quotas import current_quotas, quotas_yaml
    from salesplan.reconcile import reconcile as hybrid
    from salesplan.reconcile import to_allocation
    from salesplan.render import reconcile as view

    if accept and scenario is not None:
        fail(
            "--accept writes the plan's own adjustments.yaml; a scenario's proposal is not the "
            "plan's (apply the scenario first: salesplan scenarios apply NAME)",
            2,
        )
    loaded = load_or_exit(plan, scenario)
    quotas, _ = current_quotas(loaded)
    result = hybrid(loaded, quotas)
    if output is not None:
        refuse_output(output, force)
        text = quotas_yaml(to_allocation(result), loaded.digest, "salesplan reconcile -o")
        write_atomic(output, text.encode())
        typer.echo(
            f"Wrote the proposal to {printable(str(output))}; compare it with quotas.yaml.",
            err=True,
        )
    if accept:
        _accept(loaded, result)
    if (output is not None or accept) and format is None:
        return
    view.render(loaded, result, Format(format or "text"))


def _accept(loaded: "Plan", result: "Reconciliation") -> None:
    """`reconcile --accept`: the proposal's pins into adjustments.yaml, then quotas.yaml
    (when the plan keeps one) written again so that the plan stays fresh."""
    from datetime import date

    from salesplan.adjustments import adjustments_yaml, inside
    from salesplan.fsutil import write_atomic
    from salesplan.loading import display_name
    from salesplan.reconcile import accepted_pins

    target = loaded.root / loaded.settings.files.adjustments
    if not inside(target, loaded.root):
        fail(f"{loaded.settings.files.adjustments} is outside the plan folder; not written", 2)
    added = accepted_pins(loaded, result)
    reason = f"hybrid proposal accepted {date.today().isoformat()}"
    kept = [(p.id, p.quota, p.reason) for p in loaded.adjustments if p.id not in added]
    pins = kept + [(i, quota, reason) for i, quota in added.items()]
    write_atomic(target, adjustments_yaml(pins, loaded.currency_exponent).encode())
    typer.echo(f"Accepted {counted(len(added), 'pin')} into {display_name(target)}.", err=True)
    if loaded.quotas_file is not None:
        typer.echo(f"Wrote {write_quotas(loaded.root)} for the accepted pins.", err=True)


DIFF_FORMATS = (Format.text, Format.json, Format.markdown)


class DiffSection(str, Enum):
    plan = "plan"
    org = "org"
    quotas = "quotas"
    submissions = "submissions"


SIDE_HELP = "Plan path, git revision, or REV:FOLDER (the plan's folder in REV); default {}."
RevisionPlanOption = Annotated[
    Path | None,
    typer.Option(
        "--plan",
        "-p",
        metavar="PLAN",
        help="The plan's folder, in each revision named without one and in the working tree "
        "(e.g. from the repository's root); default: found from the current folder upward.",
        show_default=False,
    ),
]


@app.command()
def diff(
    old: Annotated[
        str | None,
        typer.Argument(help=SIDE_HELP.format("HEAD"), show_default=False, metavar="OLD"),
    ] = None,
    new: Annotated[
        str | None,
        typer.Argument(
            help=SIDE_HELP.format("the working tree"),
            show_default=False,
            metavar="NEW",
        ),
    ] = None,
    only: Annotated[
        list[DiffSection] | None,
        typer.Option(
            metavar="SECTION",
            help="Show only plan, org, quotas or submissions (repeat for several).",
        ),
    ] = None,
    min_change: Annotated[
        str | None,
        min_change_option("Hide quota moves smaller than RATIO of the old quota (0.01 is 1%)."),
    ] = None,
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="Exit 1 when there are differences.")
    ] = False,
    format: Annotated[str | None, format_option(DIFF_FORMATS)] = None,
    plan: RevisionPlanOption = None,
) -> None:
    """What changed between two plans, and the quotas it moves: `salesplan diff main`
    compares the working tree with main, `salesplan diff HEAD~1 HEAD` two commits."""

    from salesplan.diff import diff_plans, select
    from salesplan.render import diff as view
    from salesplan.render.table import display_decimals
    from salesplan.revisions import open_sides

    with open_sides(old, new, plan) as (before, after):
        old_plan, new_plan = both_plans(before, after)
        result = diff_plans(old_plan, new_plan, before.label, after.label)
    threshold = parse_ratio(min_change, "--min-change")
    shown = select(result, {s.value for s in only or ()}, threshold)
    fmt, decimals = Format(format or "text"), display_decimals(new_plan)
    sections = []
    if fmt is Format.markdown:
        from dataclasses import replace

        from salesplan.approvers import approvals
        from salesplan.render.approvers import section

        needed = approvals(old_plan, new_plan, select(result, (), threshold))
        sections = [section(replace(needed, exponent=decimals))] if needed.uses_owners else []
    view.render(shown, fmt, decimals, sections)
    raise typer.Exit(1 if exit_code and shown.changes else 0)


REPORT_FORMATS = (Format.text, Format.markdown, Format.html, Format.xlsx, Format.json)


@app.command()
def report(
    plan: PlanArg = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help=path_help(
                "Write the report to FILE; its suffix (.txt .md .html .xlsx .json) sets the format"
            ),
        ),
    ] = None,
    format: Annotated[str | None, format_option(REPORT_FORMATS)] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists.")] = False,
    scenario: ScenarioOption = None,
) -> None:
    """The whole plan as a report: summary, levels, territories, phasing, hires, hybrid flags."""
    from salesplan.render import report_file as view
    from salesplan.report import build_report

    if output is not None:
        refuse_output(output, force)
    try:
        fmt = view.choose_format(Format(format) if format else None, output, sys.stdout.isatty())
    except ValueError as err:
        fail(str(err), 2)
    loaded = load_with_progress(plan, scenario)  # kept whole: the report counts its diagnostics
    view.deliver(build_report(require_clean(loaded), loaded.diagnostics), fmt, output)
    if output is not None:
        typer.echo(f"Wrote the {fmt.value} report to {printable(str(output))}.", err=True)


@app.command()
def approvers(
    old: Annotated[
        str | None,
        typer.Argument(metavar="OLD", help=SIDE_HELP.format("HEAD"), show_default=False),
    ] = None,
    new: Annotated[
        str | None,
        typer.Argument(
            metavar="NEW",
            help=SIDE_HELP.format("the working tree"),
            show_default=False,
        ),
    ] = None,
    min_change: Annotated[
        str | None,
        min_change_option(
            "Leave out quota moves smaller than RATIO of the old quota (0.01 is 1%)."
        ),
    ] = None,
    require: Annotated[
        list[str] | None,
        typer.Option(
            metavar="OWNERS",
            help="The approvals given, comma-separated (e.g. by CI): exit 1 naming every owner "
            "still missing.",
        ),
    ] = None,
    format: Annotated[str | None, format_option(DIFF_FORMATS)] = None,
    plan: RevisionPlanOption = None,
) -> None:
    """Who must approve the change from OLD to NEW: the owner of each moved quota's parent,
    and the root's owner for the target and settings (`salesplan approvers main`)."""

    from salesplan.approvers import approvals
    from salesplan.diff import diff_plans, select
    from salesplan.render import approvers as view
    from salesplan.render.table import display_decimals
    from salesplan.revisions import open_sides

    given = None if require is None else [o for v in require for o in v.split(",") if o.strip()]
    threshold = parse_ratio(min_change, "--min-change")
    with open_sides(old, new, plan) as (before, after):
        old_plan, new_plan = both_plans(before, after)
        changed = diff_plans(old_plan, new_plan, before.label, after.label)
        result = approvals(old_plan, new_plan, select(changed, (), threshold))
    view.render(result, Format(format or "text").value, given, display_decimals(new_plan))
    if (warning := view.unowned_warning(result)) is not None:
        typer.secho(f"salesplan: warning: {warning}", err=True, fg="yellow")
    missing = result.missing(given or ())
    if given is not None and missing:
        names = "; ".join(view.owners_text(a) for a in missing)
        fail(f"missing approval from {len(missing)} of {len(result.approvers)} owners: {names}", 1)


class Preset(str, Enum):
    salesforce = "salesforce"
    hubspot = "hubspot"
    dynamics = "dynamics"
    generic = "generic"


@app.command("import")
def import_(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="CRM exports: opportunities, and optionally accounts, users, products.",
            metavar="FILES",
            exists=True,
        ),
    ],
    plan: Annotated[
        Path | None,
        typer.Option(
            "--plan", "-p", help="The plan; default: found from the current folder upward."
        ),
    ] = None,
    preset: Annotated[
        Preset | None, typer.Option(help="The CRM; default: detected from each file's headers.")
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option(help="The mapping file; default: import.yaml in the plan.")
    ] = None,
    source: Annotated[
        str | None, typer.Option(help="Write submissions/SOURCE.csv; default: the preset's name.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would change; write nothing.")
    ] = False,
    force: Annotated[
        bool, typer.Option(help="Overwrite hand-written history values and files.")
    ] = False,
    format: Annotated[str | None, format_option((Format.text, Format.json))] = None,
) -> None:
    """CRM exports -> metrics.csv history, submissions/SOURCE.csv pipeline, accounts.csv."""
    import re

    from salesplan.importing import ImportOptions, run_import
    from salesplan.importing.mapping import SOURCE_PATTERN
    from salesplan.importing.writing import OutsidePlan
    from salesplan.render import importing as view

    # A plan with errors still takes an import: missing history is what it often lacks.
    found = load_with_progress(plan)
    loaded = found.plan if found.plan is not None else require_clean(found)
    if source is not None and not re.fullmatch(SOURCE_PATTERN, source):
        fail(f"--source {source!r}: use lowercase letters, digits, - and _ (at most 64)", 2)
    try:
        with view.progress(files) as step:
            options = ImportOptions(
                files, preset and preset.value, mapping, source, force, dry_run, step
            )
            result = run_import(loaded, options)
    except OutsidePlan as err:
        fail(str(err), 2)
    fmt = Format(format or "text")
    emit(view.as_json(result) if fmt is Format.json else view.as_text(result))
    if fmt is Format.text and view.status(result):
        typer.echo(f"salesplan: {view.status(result)}", err=True)
    if result.findings.errors:
        raise typer.Exit(1)
    if result.refused and not force:  # a dry run exits as the real run would
        listed = "\n".join(f"  {item}" for item in result.refused[:20])
        fail(f"not overwriting what was written by hand:\n{listed}\nUse --force to replace it.", 2)


class BalanceTarget(str, Enum):
    capacity = "capacity"
    even = "even"


class BalanceObjective(str, Enum):
    disruption = "disruption"
    distance = "distance"


SCENARIO_FORMATS = (Format.text, Format.json, Format.markdown, Format.xlsx)


@app.command()
def balance(
    plan: PlanArg = None,
    metric: Annotated[
        str | None, typer.Option(help="accounts.csv column to balance; default balance.metric.")
    ] = None,
    band: Annotated[
        str | None, typer.Option(help="Each rep within ±B of its target (0.1 = ±10%).", metavar="B")
    ] = None,
    target: Annotated[
        BalanceTarget | None, typer.Option(help="Targets by quota capacity or even.")
    ] = None,
    objective: Annotated[
        BalanceObjective | None,
        typer.Option(help="Minimise the metric moved (disruption) or the total distance."),
    ] = None,
    write: Annotated[
        bool, typer.Option("--write", help="Write the new owners into accounts.csv (atomically).")
    ] = False,
    table: Annotated[
        str | None,
        typer.Option(metavar="NAME", help="Show one table: reps or moves (CSV: reps)."),
    ] = None,
    format: TableFormatOption = None,
    scenario: ScenarioOption = None,
) -> None:
    """Balance the reps' books of accounts within a band, moving as little as possible."""
    from decimal import Decimal, InvalidOperation

    from salesplan.accounts import with_moves
    from salesplan.balance import BalanceError, BalanceOptions
    from salesplan.balance import balance as balance_books
    from salesplan.fsutil import write_atomic
    from salesplan.render import balance as view
    from salesplan.render.output import emit

    loaded = load_or_exit(plan, scenario)
    try:
        ratio = Decimal(band) if band is not None else None
        options = BalanceOptions.of(
            loaded.settings.balance,
            metric,
            ratio,
            target.value if target else None,
            objective.value if objective else None,
        )
        result = balance_books(loaded, options)
    except InvalidOperation:
        fail(f"--band must be a number such as 0.1, not {band!r}", 2)
    except BalanceError as err:
        fail(str(err), 2)
    fmt = Format(format or "text")
    markdown = fmt is Format.markdown
    shown = checked_table(table, view.TABLES)
    empty = fmt is Format.csv or shown == "moves"  # a script reads the header
    people = fmt is not Format.csv
    emit(
        fmt,
        lambda: view.tables(result, markdown, empty, people),
        lambda: view.document(result),
        shown,
    )
    if result.status == "infeasible":
        if fmt is Format.csv:  # CSV is data only: the reason goes to stderr
            for line in view.summary_lines(result, view.exponent(result)):
                typer.echo(printable(line), err=True)
        raise typer.Exit(1)
    if write:
        from salesplan.accounts import plan_accounts
        from salesplan.loading import display_name

        book = plan_accounts(loaded)
        assert book is not None
        changed = {m.account: m.to for m in result.moves}
        if changed:
            write_atomic(book.path, with_moves(loaded, book, changed))
        typer.echo(
            f"Wrote {counted(len(changed), 'new owner')} to {display_name(book.path)}.", err=True
        )


def main() -> None:
    # pydantic's plugin discovery scans every installed distribution; a CLI needs none
    # (25-48 ms of every command, benchmarks/README.md).
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    # A command is one short process that makes little cyclic garbage while a big plan is
    # millions of long-lived objects: no collection walks them, and the process ends without
    # freeing them one by one. Measured in benchmarks/README.md ("Process switches").
    gc.disable()
    code: object = None
    try:
        only(sys.argv[1] if len(sys.argv) > 1 else None)(prog_name="salesplan")
    except SystemExit as done:
        code = done.code
        if isinstance(code, str):
            print(code, file=sys.stderr)
    except OSError as err:  # outside a command: `salesplan --help > /dev/full`
        code = unwritten(err)
    try:
        sys.stdout.flush()
    except OSError as err:  # what was left to write (reported once: a command may have)
        code = code or unwritten(err)
    sys.stderr.flush()
    os._exit(code if isinstance(code, int) else (0 if code is None else 1))


def unwritten(err: OSError) -> int:
    """Report an error of the file system met outside a command; its exit code."""
    from salesplan.fsutil import os_error_text

    sys.stderr.write(f"salesplan: {os_error_text(err)}\n")
    return 2


def only(name: str | None) -> typer.Typer:
    """The app with the one command `name` when there is one by that name, else the app:
    typer makes every command it holds into click's, its parameters read from its
    signature (~8 ms for the 13), and one command runs. Asked for anything else (`--help`,
    `--version`, a mistyped name), the whole app answers."""
    import copy

    from typer.main import get_command_name

    for info in app.registered_commands:
        callback = info.callback
        if callback is not None and (info.name or get_command_name(callback.__name__)) == name:
            alone = copy.copy(app)
            alone.registered_commands = [info]
            return alone
    return app


@app.command()
def scenarios(
    args: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[PLAN] [NAME]...",
            help="The plan, then the scenarios to compare (default: all of scenarios/); "
            "`apply NAME` writes a scenario into the plan files.",
            show_default=False,
        ),
    ] = None,
    vary: Annotated[
        list[str] | None,
        typer.Option(
            metavar="SWEEP",
            help="KEY=FROM:TO:STEP: sweep a numeric setting of salesplan.yaml, e.g. "
            "capacity.attainment=0.7:0.9:0.05 "
            "(twice: a grid), on the base or on the one NAME given.",
        ),
    ] = None,
    format: Annotated[str | None, format_option(SCENARIO_FORMATS)] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help=path_help("Write to FILE; its suffix (.txt .md .json .xlsx) sets the format"),
        ),
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite FILE if it exists.")] = False,
    keep: Annotated[bool, typer.Option(help="apply: keep the scenario file.")] = False,
) -> None:
    """What if: the plan and its scenarios side by side with deltas, or one setting swept.
    Exit 1 when the plan has errors, or when a row of a sweep fails the checks (the
    others are shown all the same); 2 for a swept value the setting does not allow."""
    from salesplan.render import scenarios as view
    from salesplan.whatif import ScenarioError, compare, parse_vary, sweep

    plan, names = plan_and_names(args or [])
    try:
        if names[:1] == ["apply"]:
            return apply_command(plan, names[1:], keep)
        fmt = choose_format(format, output)
        varies = [parse_vary(spec) for spec in vary or ()]
        if len(varies) > 2 or (varies and len(names) > 1):
            raise ValueError("--vary: at most two settings, on the base or on one scenario")
        result = (
            sweep(plan, varies, names[0] if names else None)
            if varies
            else compare(plan, names or None)
        )
        view.deliver(result, fmt, output, force)
        if output is not None:
            typer.echo(f"Wrote the {fmt.value} comparison to {printable(str(output))}.", err=True)
        failures = sum(o.failed for o in result.outcomes)
        if failures:
            rows = len(result.outcomes)
            verb = noun(failures, "fails", "fail")
            fail(f"{failures:,} of the {counted(rows, 'row')} {verb} the checks; each says why", 1)
    except ScenarioError as err:
        for d in err.diagnostics:
            typer.echo(str(d), err=True)
        fail(str(err), 1)
    except ValueError as err:
        fail(str(err), 2)


def plan_and_names(args: list[str]) -> tuple[Path | None, list[str]]:
    """`[PLAN] [NAME]...`: the first argument is the plan when it is a folder or a file."""
    if args and args[0] != "apply" and Path(args[0]).exists():
        return Path(args[0]), args[1:]
    return None, args


def apply_command(plan: Path | None, names: list[str], keep: bool) -> None:
    from salesplan.loading import display_name
    from salesplan.scenario_apply import apply_scenario

    if len(names) != 1:
        fail("scenarios apply takes one scenario name: salesplan scenarios apply NAME", 2)
    applied = apply_scenario(plan, names[0], keep)
    for path in applied.written:
        typer.echo(f"Wrote {display_name(path)}.", err=True)
    if applied.removed is not None:
        typer.echo(f"Removed {display_name(applied.removed)}: it is now the plan.", err=True)

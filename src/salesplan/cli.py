"""The `salesplan` command line: one short function per command (load, compute, render).

Errors that stop a command are turned into exit codes in one place, `SalesplanGroup.invoke`:
2 for usage errors and unreadable input, 3 for anything unexpected (one line; `--debug`
shows the traceback). Exit 1 means the plan has errors.
"""

from __future__ import annotations

import gc
import os
import sys
import traceback
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from salesplan import __version__
from salesplan.ci import CiProvider
from salesplan.help import HelpCommand, date_option, format_option, path_help
from salesplan.render.output import TABLES, Format

if TYPE_CHECKING:
    from salesplan.loading import Loaded
    from salesplan.plan import Plan


class InputError(Exception):
    """A problem with what the user asked for (exit 2), reported as one line."""


class SalesplanGroup(TyperGroup):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for command in self.commands.values():
            HelpCommand.adopt(command)

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        _alongside.clear()  # nothing left over from an earlier command in this process
        try:
            done = super().invoke(ctx)
            settle_or_exit()  # a command that computed alongside its checks settles them itself
            return done
        except (typer.Exit, typer.Abort, typer.TyperException):
            _alongside.clear()
            raise
        except BrokenPipeError:
            # The reader went away (`salesplan ... | head`): stop quietly, as `cat` does,
            # with the status a process killed by SIGPIPE has.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise typer.Exit(128 + 13) from None
        except Exception as err:
            _settle_after(err)
            from salesplan.loading import PlanNotFound
            from salesplan.scaffold import UnknownExample

            if isinstance(err, (PlanNotFound, InputError, UnknownExample, OSError)):
                fail(str(err), 2)
            if ctx.obj and ctx.obj.get("debug"):
                traceback.print_exc()
            else:
                typer.echo(
                    f"salesplan: internal error: {type(err).__name__}: {err} "
                    "(rerun with --debug for the traceback)",
                    err=True,
                )
            raise typer.Exit(3) from None


def _settle_after(err: Exception) -> None:
    """Exit 1 if the checks running alongside found errors in the plan: they explain `err`
    better than it does itself. A failure to settle leaves `err` to be reported."""
    try:
        settle_or_exit()
    except typer.Exit:
        raise
    except Exception:
        _alongside.clear()


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


def fail(message: str, code: int) -> NoReturn:
    settle_or_exit()  # the plan's own errors come first
    typer.echo(f"salesplan: {message}", err=True)
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
) -> None:
    """Report every problem in the plan; print nothing and exit 0 when it is clean."""
    from salesplan.render import diagnostics as render

    found = load_with_progress(plan, defer=True).settle().diagnostics
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
        typer.Option(metavar="xlsx", help="Also write a submission workbook per rep to send out."),
    ] = None,
) -> None:
    """Write a complete, valid example plan repository into DIR."""
    from salesplan.ci import with_ci
    from salesplan.render.init import written_lines
    from salesplan.scaffold import scaffold

    if templates not in (None, "xlsx"):
        raise typer.BadParameter(f"{templates!r}: the templates are xlsx", param_hint="--templates")
    if directory.exists() and not directory.is_dir():
        fail(f"{directory} exists and is not a folder", 2)
    files, elsewhere = with_ci(scaffold(example), ci, directory)
    conflicts = files.conflicts(directory) + elsewhere.conflicts(Path("."))
    conflicts += [name for name in ["quotas.yaml"] if (directory / name).exists()]
    if conflicts and not force:
        listed = "\n".join(f"  {directory / name}" for name in conflicts)
        fail(f"not overwriting {len(conflicts)} existing file(s):\n{listed}\nUse --force.", 2)
    written = [*files.write(directory), write_quotas(directory)]
    if templates:
        written += write_templates(directory)
    typer.echo(written_lines(directory, written, elsewhere.write(Path("."))), err=True)


def write_templates(directory: Path) -> list[str]:
    """A submission workbook per rep of the freshly written plan, under templates/."""
    from salesplan.fsutil import write_atomic
    from salesplan.loading import load_plan
    from salesplan.render.submission_template import templates

    plan = load_plan(directory).plan
    assert plan is not None
    found = templates(plan)
    for name, data in found.items():
        write_atomic(directory / name, data)
    return list(found)


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


@app.command()
def schema(
    kind: Annotated[
        SchemaKind | None,
        typer.Argument(
            metavar="KIND", help="plan, org, territories, submission or quotas; default: all."
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
    existing = [str(path) for path in files if path.exists()]
    if existing and not force:
        fail(f"not overwriting {', '.join(existing)}; use --force to replace", 2)
    for path, body in files.items():
        write_atomic(path, body.encode())
    if output is None:
        emit(text + "\n")


QUOTA_FILE_CODES = frozenset({"SP415", "SP416"})


_alongside: list[Loaded] = []  # loads whose reporting checks still run (load_or_exit)


def load_or_exit(plan_arg: Path | None) -> Plan:
    """The plan, or exit 1 listing its errors: no command computes on a broken plan.

    On a big plan the checks that only report run alongside the command (see
    `loading.load_plan`): the command calls `settle_or_exit()` before it writes or prints."""
    loaded = load_with_progress(plan_arg, defer=True)
    if loaded.pending is not None:
        _alongside.append(loaded)
    return require_clean(loaded)


def settle_or_exit() -> None:
    """Wait for the checks running alongside the command; exit 1 listing what they found."""
    while _alongside:
        require_clean(_alongside.pop().settle())


def load_with_progress(plan_arg: Path | None, defer: bool = False) -> Loaded:
    from salesplan.loading import load_plan
    from salesplan.render.progress import loading_progress

    with loading_progress(plan_arg) as step:
        return load_plan(plan_arg, step, defer)


def require_clean(loaded: Loaded, allowed: frozenset[str] = QUOTA_FILE_CODES) -> Plan:
    """The loaded plan, or exit 1 listing its errors. A stale or hand-edited quotas.yaml
    does not block: commands recompute the quotas instead."""
    blocking = [d for d in loaded.errors if d.code not in allowed]
    if loaded.pending is not None and (loaded.plan is None or blocking):
        blocking = [d for d in loaded.settle().errors if d.code not in allowed]  # list them all
    if loaded.plan is None or blocking:
        for d in blocking or loaded.errors:
            typer.echo(str(d), err=True)
        fail(
            f"the plan has {len(blocking or loaded.errors)} error(s); fix them first (salesplan check)",
            1,
        )
    return loaded.plan


TableFormatOption = Annotated[str | None, format_option(TABLES)]


@app.command()
def allocate(
    plan: PlanArg = None,
    write: Annotated[bool, typer.Option("--write", help="Write quotas.yaml (atomically).")] = False,
    explain: Annotated[
        str | None, typer.Option(help="Explain how this node's quota was reached.", metavar="ID")
    ] = None,
    format: TableFormatOption = None,
) -> None:
    """Split the target top-down: levels, over-assignment, pins, phasing, exact rounding."""
    from salesplan.allocate import explain as explain_node
    from salesplan.diagnostics import did_you_mean
    from salesplan.escape import printable
    from salesplan.fsutil import write_atomic
    from salesplan.loading import display_name
    from salesplan.quotas import quotas_yaml
    from salesplan.render import allocation as view

    fmt = Format(format or "text")
    if explain is not None and fmt is Format.csv:
        raise typer.BadParameter("--explain writes text, json or markdown", param_hint="--format")
    loaded = load_or_exit(plan)
    result = loaded.allocation
    settle_or_exit()
    if write:
        target = loaded.root / loaded.settings.files.quotas
        write_atomic(target, quotas_yaml(result, loaded.digest).encode())
        typer.echo(
            f"Wrote {printable(display_name(target))} ({len(result.nodes)} nodes).", err=True
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
) -> None:
    """Ramp-adjusted capacity per period vs target, cost of sales and hires needed."""
    from salesplan.capacity import capacity_report
    from salesplan.help import parse_date
    from salesplan.quotas import current_quotas
    from salesplan.render import capacity as view
    from salesplan.render.table import display_decimals

    loaded = load_or_exit(plan)
    quotas, source = current_quotas(loaded)
    report = capacity_report(loaded, quotas, parse_date(hire_start), source)
    settle_or_exit()
    fmt, e = Format(format or "text"), loaded.currency_exponent
    view.render(report, fmt, e, display_decimals(loaded), checked_table(table, view.TABLES))


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
) -> None:
    """Roll rep submissions up the tree and compare them with the quotas."""
    from salesplan.quotas import current_quotas
    from salesplan.render import rollup as view
    from salesplan.rollup import rollup as roll_up
    from salesplan.rollup import select

    loaded = load_or_exit(plan)
    quotas, source = current_quotas(loaded)
    try:
        result = select(roll_up(loaded, quotas), level, period)
    except ValueError as err:
        fail(str(err), 2)
    settle_or_exit()
    view.render(loaded, result, source, Format(format or "text"))


@app.command()
def reconcile(
    plan: PlanArg = None,
    write: Annotated[
        Path | None,
        typer.Option(
            "--write", help="Write the proposal in the quotas.yaml format.", metavar="FILE"
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists.")] = False,
    format: TableFormatOption = None,
) -> None:
    """The hybrid proposal: top-down pools kept, shares moved toward bottom-up within guardrails."""
    from salesplan.fsutil import write_atomic
    from salesplan.quotas import current_quotas, quotas_yaml
    from salesplan.reconcile import reconcile as hybrid
    from salesplan.reconcile import to_allocation
    from salesplan.render import reconcile as view

    loaded = load_or_exit(plan)
    quotas, _ = current_quotas(loaded)
    result = hybrid(loaded, quotas)
    settle_or_exit()
    if write is not None:
        if write.exists() and not force:
            fail(f"{write} exists; use --force to replace it", 2)
        text = quotas_yaml(to_allocation(result), loaded.digest, "salesplan reconcile --write")
        write_atomic(write, text.encode())
        typer.echo(f"Wrote the proposal to {write}; compare it with quotas.yaml.", err=True)
        if format is None:
            return
    view.render(loaded, result, Format(format or "text"))


DIFF_FORMATS = (Format.text, Format.json, Format.markdown)


class DiffSection(str, Enum):
    plan = "plan"
    org = "org"
    quotas = "quotas"
    submissions = "submissions"


@app.command()
def diff(
    old: Annotated[
        str | None,
        typer.Argument(
            help="Plan path or git revision; default HEAD.", show_default=False, metavar="OLD"
        ),
    ] = None,
    new: Annotated[
        str | None,
        typer.Argument(
            help="Plan path or git revision; default the working tree.",
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
        float | None,
        typer.Option(
            min=0,
            metavar="RATIO",
            help="Hide quota moves smaller than RATIO of the old quota (0.01 is 1%).",
        ),
    ] = None,
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="Exit 1 when there are differences.")
    ] = False,
    format: Annotated[str | None, format_option(DIFF_FORMATS)] = None,
) -> None:
    """What changed between two plans, and the quotas it moves: `salesplan diff main`
    compares the working tree with main, `salesplan diff HEAD~1 HEAD` two commits."""
    from decimal import Decimal

    from salesplan.diff import diff_plans, select
    from salesplan.render import diff as view
    from salesplan.render.table import display_decimals
    from salesplan.revisions import open_sides

    with open_sides(old, new) as (before, after):
        for side in (before, after):
            for d in side.problems:
                typer.echo(str(d), err=True)
            if side.plan is None:
                fail(f"{side.label}: the plan has errors; fix them first (salesplan check)", 1)
        assert before.plan is not None and after.plan is not None
        result = diff_plans(before.plan, after.plan, before.label, after.label)
    threshold = None if min_change is None else Decimal(str(min_change))
    shown = select(result, {s.value for s in only or ()}, threshold)
    view.render(shown, Format(format or "text"), display_decimals(after.plan))
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
) -> None:
    """The whole plan as a report: summary, levels, territories, phasing, hires, hybrid flags."""
    from salesplan.render import report_file as view
    from salesplan.report import build_report

    try:
        fmt = view.choose_format(Format(format) if format else None, output, sys.stdout.isatty())
    except ValueError as err:
        fail(str(err), 2)
    if output is not None and output.exists() and not force:
        fail(f"{output} exists; use --force to replace it", 2)
    loaded = load_with_progress(plan)  # kept whole: the report counts its diagnostics
    view.deliver(build_report(require_clean(loaded), loaded.diagnostics), fmt, output)
    if output is not None:
        typer.echo(f"Wrote the {fmt.value} report to {output}.", err=True)


def main() -> None:
    # pydantic's plugin discovery scans every installed distribution; a CLI needs none.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    # A run is short and makes little cyclic garbage, while a big plan is millions of
    # long-lived objects that every collection would walk again.
    gc.disable()
    try:
        app(prog_name="salesplan")
    except SystemExit as done:
        code = done.code
        if isinstance(code, str):
            print(code, file=sys.stderr)
        # Leave without tearing down a big plan object by object (0.3 s at 10,000 reps):
        # every file was written and closed atomically; only the streams need flushing.
        sys.stdout.flush()
        sys.stderr.flush()
        from salesplan import cache

        cache.flush_in_background()
        os._exit(code if isinstance(code, int) else (0 if code is None else 1))

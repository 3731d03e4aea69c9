"""Options shared by the commands, and help that reads like gh's or ruff's.

`--help` lists each option as `-f, --format FORMAT` with a sentence, never a type label
(`<bool>`, `<%Y-%m-%d>`, `R [x>=0]`); values are checked by callbacks that say what to write
instead, as usage errors (exit 2).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import typer
from typer.core import TyperArgument, TyperCommand

from salesplan.render.output import Format, choose, described

_BRACES = re.compile(r"\{([^{}]*)\}")
_WRAPPED = re.compile(r"^\[(\[.*\]\.\.\.)\]\.\.\.$")


class HelpCommand(TyperCommand):
    """A command whose help lists `NAME  sentence` rows, metavars in capitals."""

    @classmethod
    def adopt(cls, command: Any) -> None:
        """Give a command built by typer this help layout (typer has no default class)."""
        if type(command) is TyperCommand:
            command.__class__ = cls

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """A value typer refuses is named in salesplan's words: pydantic, which checks the
        choices of an option for typer, starts its messages with "Value error, "."""
        try:
            return super().parse_args(ctx, args)
        except typer.BadParameter as err:
            err.message = err.message.removeprefix("Value error, ")
            raise

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        """`init DIR`, not typer's `init {DIR}`: a required argument as click writes it."""
        pieces = super().collect_usage_pieces(ctx)
        # a metavar that already says it repeats is not wrapped again: `[PLAN] [NAME]...`
        return [_WRAPPED.sub(r"\1", _BRACES.sub(r"\1", piece)) for piece in pieces]

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments, options = [], []
        for param in self.get_params(ctx):
            if getattr(param, "hidden", False):
                continue
            if isinstance(param, TyperArgument):
                arguments.append((param.metavar or (param.name or "").upper(), param.help or ""))
                continue
            names = ", ".join(sorted(param.opts, key=len))
            if not getattr(param, "is_flag", False):
                names += f" {param.metavar or (param.name or '').upper()}"
            options.append((names, getattr(param, "help", None) or ""))
        if arguments:
            with formatter.section("Arguments"):
                formatter.write_dl(arguments)
        with formatter.section("Options"):
            formatter.write_dl(options)


def format_option(allowed: Sequence[Format]) -> Any:
    """`-f/--format FORMAT`, one of `allowed` (the first is the default)."""

    def check(ctx: typer.Context, value: str | None) -> str | None:
        if value is not None:
            try:
                choose(value, allowed, ctx.info_name or "this command")
            except ValueError as err:
                raise typer.BadParameter(str(err)) from None
        return value

    return typer.Option(
        "--format",
        "-f",
        metavar="FORMAT",
        help=f"Output format: {described(allowed)}",
        callback=check,
        show_default=False,
    )


def parse_date(value: str | None) -> date | None:
    """An ISO date (`2027-07-01`), or a usage error that shows how to write one."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date; write it as YYYY-MM-DD, e.g. 2027-07-01"
        ) from None


def _check_date(value: str | None) -> str | None:
    parse_date(value)
    return value


def date_option(help: str) -> Any:
    return typer.Option(metavar="DATE", help=help, callback=_check_date, show_default=False)


def path_help(what: str) -> str:
    return f"{what} (refused if it exists, unless --force)."


def parse_ratio(value: str | None, option: str) -> Decimal | None:
    """A ratio of 0 or more (`0.01`), or a usage error that shows how to write one."""
    if value is None:
        return None
    try:
        ratio = Decimal(value)
    except InvalidOperation:
        ratio = None
    if ratio is None or not ratio.is_finite() or ratio < 0:
        raise typer.BadParameter(
            f"{value!r} is not a ratio of 0 or more; write e.g. 0.01 for 1%", param_hint=option
        ) from None
    return ratio


def min_change_option(help: str) -> Any:
    """`--min-change RATIO`, the same in every command that hides small quota moves."""

    def check(value: str | None) -> str | None:
        parse_ratio(value, "--min-change")
        return value

    return typer.Option(metavar="RATIO", help=help, callback=check, show_default=False)

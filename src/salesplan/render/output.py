"""One output seam: the `Format` every command's `--format` names, and the functions that
write a result's tables or document in it. Each command allows a subset of the formats; the
CLI turns any other into a usage error (exit 2)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from enum import Enum
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from salesplan.render.table import ResultTable


class Format(str, Enum):
    text = "text"
    json = "json"
    csv = "csv"
    markdown = "markdown"
    html = "html"
    xlsx = "xlsx"
    github = "github"
    sarif = "sarif"


TABLES = (Format.text, Format.json, Format.csv, Format.markdown)  # a command whose result is tables

# an output file's suffix -> the format written into it (`report -o`, `scenarios -o`)
SUFFIXES = {
    ".txt": Format.text,
    ".md": Format.markdown,
    ".markdown": Format.markdown,
    ".html": Format.html,
    ".htm": Format.html,
    ".xlsx": Format.xlsx,
    ".json": Format.json,
}


def format_of_file(output: PurePath, allowed: Sequence[Format]) -> Format:
    """The format that the suffix of `output` names, one of `allowed`; ValueError naming
    the suffixes that do."""
    found = SUFFIXES.get(output.suffix.lower())
    if found is None or found not in allowed:
        known = ", ".join(suffix for suffix, fmt in SUFFIXES.items() if fmt in allowed)
        what = "cannot tell the format from" if found is None else f"cannot write {found.value} as"
        raise ValueError(f"{what} {output.name!r}; use a suffix ({known}) or --format")
    return found


class UnsupportedFormat(ValueError):
    """A format the command does not write (a usage error)."""


def choose(
    fmt: Format | str | None, allowed: Sequence[Format], command: str, what: str = ""
) -> Format:
    """`fmt` if `command` writes it (the first of `allowed` when None), else UnsupportedFormat
    naming what it does write."""
    if fmt is None:
        return allowed[0]
    known = {f.value: f for f in Format}
    chosen = fmt if isinstance(fmt, Format) else known.get(fmt)
    if chosen is None or chosen not in allowed:
        names = [f.value for f in allowed]
        listed = ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]
        asked = chosen.value if chosen is not None else fmt
        raise UnsupportedFormat(f"{command}{what} writes {listed}, not {asked}")
    return chosen


def described(allowed: Sequence[Format]) -> str:
    """Help text for a `--format` option: 'text (default), json, csv or markdown.'"""
    names = [f"{allowed[0].value} (default)"] + [f.value for f in allowed[1:]]
    return ", ".join(names[:-1]) + f" or {names[-1]}." if len(names) > 1 else names[0] + "."


def write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def write_all(pieces: Iterable[str]) -> None:
    """Write text made piece by piece, without holding it whole."""
    out = sys.stdout
    for piece in pieces:
        out.write(piece)
    out.flush()


def pick_table(tables: list[ResultTable], name: str | None) -> list[ResultTable]:
    """The one table named `name` (CSV is one table per stream); the first when None."""
    if name is None:
        return tables[:1]
    for t in tables:
        if t.name == name:
            return [t]
    known = ", ".join(t.name for t in tables)
    raise UnsupportedFormat(f"no table {name!r}; the tables are {known}")


def emit(
    fmt: Format,
    tables: Callable[[], list[ResultTable]],
    document: Callable[[], dict[str, Any]],
    table: str | None = None,
) -> None:
    """Render a tabular result in `fmt`; each view is built only when its format asks for it.
    `table` names the one table to write (every format); CSV writes the first by default.
    A renderer is imported for its format only: a JSON run loads no text layout."""

    def chosen() -> list[ResultTable]:
        found = tables()
        return pick_table(found, table) if table is not None or fmt is Format.csv else found

    if fmt is Format.text:
        from salesplan.render import text

        text.render(chosen())
    elif fmt is Format.json:
        from salesplan.render import json as j

        write_all(j.chunks(document()))
    elif fmt is Format.csv:
        from salesplan.render import csv

        write(csv.render(chosen()))
    elif fmt is Format.markdown:
        from salesplan.render import markdown

        write(markdown.render(chosen()))
    else:
        raise KeyError(fmt)  # a format of other commands (html, xlsx, ...): a caller's error


def emit_story(fmt: Format, lines: list[str], document: Callable[[], dict[str, Any]]) -> None:
    """Render a narrative result (`allocate --explain`): prose as text or Markdown, or JSON."""
    from salesplan.escape import printable
    from salesplan.render import json as j

    body = "".join(f"{printable(line)}\n" for line in lines)
    renderers: dict[Format, Callable[[], None]] = {
        Format.text: lambda: write(_wrapped(body)),
        Format.json: lambda: write(j.dumps(document())),
        Format.markdown: lambda: write(f"```text\n{body.replace('```', '` ` `')}```\n"),
    }
    renderers[fmt]()


def _wrapped(body: str) -> str:
    """Prose fitted to the terminal (or COLUMNS), broken at spaces only, so that no number
    is cut; a continued line is indented under its own. As it is for a file or a pipe."""
    import textwrap

    from salesplan.render.text import terminal_width

    width = terminal_width()
    if width is None:
        return body
    out = []
    for line in body.splitlines():
        indent = line[: len(line) - len(line.lstrip())]
        out.append(
            textwrap.fill(
                line,
                width,
                subsequent_indent=indent + "    ",
                break_long_words=False,
                break_on_hyphens=False,
            )
            if len(line) > width
            else line
        )
    return "".join(f"{line}\n" for line in out)

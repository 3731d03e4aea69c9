"""Read YAML safely, keeping the line and column of every key and value.

PyYAML's libyaml event stream is walked by hand so that nothing is ever constructed from
a tag, aliases are never expanded, and scalars follow YAML 1.2-like rules: only
true/false are booleans, numbers become Decimal from their source text, and anything
ambiguous (`NO`, `on`, `010`, `1:30`, `2027-02-01`) stays a string for the model to parse.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import yaml

from salesplan.diagnostics import Diagnostic, diagnostic

MAX_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 8_000_000

Mark = tuple[int, int]  # 1-based line and column


class YMap(dict[str, Any]):
    """A mapping read from YAML; `keys_at`/`values_at` give each key's and value's mark."""

    __slots__ = ("keys_at", "mark", "values_at")

    def __init__(self, mark: Mark) -> None:
        super().__init__()
        self.mark = mark
        self.keys_at: dict[str, Mark] = {}
        self.values_at: dict[str, Mark] = {}


class YList(list[Any]):
    """A sequence read from YAML; `items_at[i]` is the mark of item i."""

    __slots__ = ("items_at", "mark")

    def __init__(self, mark: Mark) -> None:
        super().__init__()
        self.mark = mark
        self.items_at: list[Mark] = []


@dataclass
class Document:
    """One parsed file: its data (None when unreadable) and where things are in it."""

    file: str
    data: Any
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def locate(self, path: tuple[str | int, ...], key: bool = False) -> Mark:
        """The mark of the value at `path` (of its key when `key`), or of the nearest parent."""
        node, mark = self.data, (1, 1)
        if isinstance(node, (YMap, YList)):
            mark = node.mark
        for i, part in enumerate(path):
            last = i == len(path) - 1
            if isinstance(node, YMap) and isinstance(part, str) and part in node:
                marks = node.keys_at if (last and key) else node.values_at
                mark, node = marks[part], node[part]
            elif isinstance(node, YList) and isinstance(part, int) and 0 <= part < len(node):
                mark, node = node.items_at[part], node[part]
            else:
                break
        return mark


_INT = re.compile(r"[-+]?(0|[1-9][0-9]*(_[0-9]+)*)")
_FLOAT = re.compile(
    r"[-+]?((0|[1-9][0-9]*(_[0-9]+)*)(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?"
)
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE = frozenset({"true", "True", "TRUE"})
_FALSE = frozenset({"false", "False", "FALSE"})


def resolve_plain(text: str) -> Any:
    """The value of a plain (unquoted) scalar under salesplan's YAML 1.2-like rules."""
    if text in _NULLS:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    first = text[0]
    if (first.isdigit() or first in "+-.") and (_INT.fullmatch(text) or _FLOAT.fullmatch(text)):
        return Decimal(text.replace("_", ""))
    return text


@contextmanager
def _gc_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _LimitExceeded(Exception):
    pass


class _Builder:
    """Builds YMap/YList/scalars from libyaml events, reporting what salesplan forbids."""

    def __init__(self, file: str, events: Iterator[Any]) -> None:
        self.file = file
        self.events = events
        self.diagnostics: list[Diagnostic] = []
        self.nodes = 0

    def report(self, code: str, message: str, event: Any) -> None:
        m = event.start_mark
        self.diagnostics.append(diagnostic(code, message, self.file, m.line + 1, m.column + 1))

    def build(self) -> Any:
        data: Any = None
        documents = 0
        for event in self.events:
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    message = "a second YAML document starts here; keep one document per file"
                    self.report("SP109", message, event)
                    break
                data = self.node(next(self.events), 1)
        return data

    def node(self, event: Any, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            self.report("SP111", f"more than {MAX_NODES:,} YAML values; split the file", event)
            raise _LimitExceeded
        if depth > MAX_DEPTH:
            message = f"nesting deeper than {MAX_DEPTH} levels; flatten the data"
            self.report("SP111", message, event)
            raise _LimitExceeded
        if isinstance(event, yaml.AliasEvent):
            self.report("SP105", f"alias *{event.anchor} is not allowed; repeat the value", event)
            return None
        if event.anchor is not None:
            message = f"anchor &{event.anchor} is not allowed; write the value out where it is used"
            self.report("SP105", message, event)
        if event.tag is not None and not (
            isinstance(event, yaml.ScalarEvent) and event.tag == "!" and event.implicit[1]
        ):
            self.report("SP107", f"tag {event.tag} is not allowed; remove it", event)
        if isinstance(event, yaml.ScalarEvent):
            return resolve_plain(event.value) if event.implicit[0] else event.value
        if isinstance(event, yaml.SequenceStartEvent):
            return self.sequence(event, depth)
        return self.mapping(event, depth)

    def sequence(self, start: Any, depth: int) -> YList:
        seq = YList((start.start_mark.line + 1, start.start_mark.column + 1))
        for event in self.events:
            if isinstance(event, yaml.SequenceEndEvent):
                break
            seq.items_at.append((event.start_mark.line + 1, event.start_mark.column + 1))
            seq.append(self.node(event, depth + 1))
        return seq

    def mapping(self, start: Any, depth: int) -> YMap:
        mapping = YMap((start.start_mark.line + 1, start.start_mark.column + 1))
        for key_event in self.events:
            if isinstance(key_event, yaml.MappingEndEvent):
                break
            key = self.node(key_event, depth + 1)
            value_event = next(self.events)
            value = self.node(value_event, depth + 1)
            if not self.valid_key(key, key_event, mapping):
                continue
            mapping[key] = value
            mapping.keys_at[key] = (key_event.start_mark.line + 1, key_event.start_mark.column + 1)
            vm = value_event.start_mark
            mapping.values_at[key] = (vm.line + 1, vm.column + 1)
        return mapping

    def valid_key(self, key: Any, event: Any, mapping: YMap) -> bool:
        if isinstance(event, yaml.AliasEvent):
            return False  # already reported as SP105
        if not isinstance(event, yaml.ScalarEvent):
            self.report("SP108", "a list or mapping cannot be a key; use a name", event)
            return False
        if not isinstance(key, str):
            self.report("SP108", f"key {event.value or '(empty)'} is not text; quote it", event)
            return False
        if key == "<<" and event.implicit[0]:
            self.report("SP106", "merge key << is not allowed; write the keys out", event)
            return False
        if key in mapping:
            line = mapping.keys_at[key][0]
            message = f"duplicate key {key!r} (first given on line {line}); keep only one"
            self.report("SP104", message, event)
            return False
        return True


def decode(file: str, raw: bytes) -> tuple[str | None, list[Diagnostic]]:
    """Text of a file read as UTF-8 (a BOM is dropped), or a diagnostic at the bad byte."""
    if len(raw) > MAX_BYTES:
        message = f"file is {len(raw):,} bytes, more than the limit of {MAX_BYTES:,}"
        return None, [diagnostic("SP111", message, file, 1, 1)]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line_start = raw.rfind(b"\n", 0, err.start) + 1
        line = raw.count(b"\n", 0, err.start) + 1
        column = len(raw[line_start : err.start].decode("utf-8", errors="replace")) + 1
        message = f"invalid UTF-8 byte 0x{raw[err.start]:02x}; save the file as UTF-8"
        return None, [diagnostic("SP102", message, file, line, column)]
    return text.removeprefix("\ufeff"), []


def parse_yaml(file: str, raw: bytes) -> Document:
    """Parse one YAML file into a Document; every problem becomes a diagnostic."""
    text, problems = decode(file, raw)
    if text is None:
        return Document(file, None, problems)
    builder = _Builder(file, yaml.parse(text, Loader=yaml.CSafeLoader))
    data: Any = None
    with _gc_paused():
        try:
            data = builder.build()
        except _LimitExceeded:
            data = None
        except yaml.MarkedYAMLError as err:
            mark = err.problem_mark or err.context_mark
            line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            message = _syntax_message(err, text)
            code = "SP111" if "nesting depth" in message else "SP103"
            builder.diagnostics.append(diagnostic(code, message, file, line, column))
            data = None
        except yaml.YAMLError as err:
            builder.diagnostics.append(diagnostic("SP103", str(err).strip(), file, 1, 1))
            data = None
    document = Document(file, data, builder.diagnostics)
    if data is None and not document.diagnostics:
        message = "file is empty (no YAML data, only blanks or comments); give it its content"
        document.diagnostics.append(diagnostic("SP110", message, file, 1, 1))
    return document


def _syntax_message(err: yaml.MarkedYAMLError, text: str) -> str:
    """libyaml's problem, with where the construct it was reading started and a tab hint."""
    message = str(err.problem or err.context or "invalid YAML")
    start, mark = err.context_mark, err.problem_mark
    if err.problem and err.context and start is not None and (
        mark is None or (start.line, start.column) != (mark.line, mark.column)
    ):
        at = f"line {start.line + 1}, column {start.column + 1}"
        what = re.sub(r"^while (parsing|scanning) an? ", "in the ", err.context)
        message += f" ({what} that starts at {at})" if what != err.context else f" ({what} at {at})"
    if mark is not None and mark.index < len(text) and text[mark.index] == "\t":
        message += "; indent with spaces, not tabs"
    return message

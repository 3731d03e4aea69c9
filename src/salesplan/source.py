"""Read YAML safely, keeping the line and column of every key and value.

PyYAML's libyaml event stream is walked by hand so that nothing is ever constructed from
a tag, aliases are never expanded, and scalars follow YAML 1.2-like rules: only
true/false are booleans, numbers become Decimal from their source text, and anything
ambiguous (`NO`, `on`, `010`, `1:30`, `2027-02-01`) stays a string for the model to parse.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from sys import intern
from typing import Any, cast

import yaml

from salesplan.diagnostics import MAX_PER_CODE, Diagnostic, diagnostic
from salesplan.reading.files import MAX_BYTES

MAX_DEPTH = 64
MAX_NODES = 5_000_000  # values in one file: 100,000 territories are about 2.5 million

Mark = tuple[int, int]  # 1-based line and column
_SHIFT = 32  # a mark is packed in one int: line << 32 | column (any line of a 40 MiB file)
_MASK = (1 << _SHIFT) - 1
_PAIR = 64  # a key's mark and its value's mark share one int: key << 64 | value
_PAIR_MASK = (1 << _PAIR) - 1


def pack(line: int, column: int) -> int:
    return line << _SHIFT | column


def unpack(packed: int) -> Mark:
    return packed >> _SHIFT, packed & _MASK


class YMap(dict[str, Any]):
    """A mapping read from YAML, with the line and column of each key and value."""

    __slots__ = ("marks", "packed")

    def __init__(self, packed: int) -> None:
        super().__init__()
        self.packed = packed
        # key -> the key's mark << 48 | the value's mark (one dict, one int per entry)
        self.marks: dict[str, int] = {}

    @property
    def mark(self) -> Mark:
        return unpack(self.packed)

    def key_at(self, key: str) -> Mark:
        return unpack(self.marks[key] >> _PAIR)

    def value_at(self, key: str) -> Mark:
        return unpack(self.marks[key] & _PAIR_MASK)


class YList(list[Any]):
    """A sequence read from YAML, with the line and column of each item."""

    __slots__ = ("items_at", "packed")

    def __init__(self, packed: int) -> None:
        super().__init__()
        self.packed = packed
        self.items_at: list[int] = []

    @property
    def mark(self) -> Mark:
        return unpack(self.packed)

    def item_at(self, index: int) -> Mark:
        return unpack(self.items_at[index])


@dataclass
class Document:
    """One parsed file: its data (None when unreadable) and where things are in it.

    A big file may be read without positions (`parse_yaml(..., marks=False)`): its data is
    then plain dicts and lists, a third lighter. A diagnostic inside one record of a
    top-level list is then placed by parsing that record's lines alone (see `locate`); any
    other place, by parsing the whole file again with positions."""

    file: str
    data: Any
    diagnostics: list[Diagnostic] = field(default_factory=list)
    raw: bytes | None = field(default=None, repr=False, compare=False)
    # Without positions: where each item of a top-level list starts (see _ItemLines)
    items: dict[str, _ItemLines] = field(default_factory=dict, repr=False, compare=False)
    _marked: Document | None = field(default=None, init=False, repr=False, compare=False)

    def marked(self) -> Document:
        """This document with positions: itself, or the file parsed again with them."""
        if self.raw is None or isinstance(self.data, (YMap, YList)):
            return self
        if self._marked is None:
            self._marked = parse_yaml(self.file, self.raw)
        return self._marked

    def locate(self, path: tuple[str | int, ...], key: bool = False) -> Mark:
        """The mark of the value at `path` (of its key when `key`), or of the nearest parent.

        In a document read without positions, a place inside one item of a top-level list
        (`reps[3].ote`) is found by parsing that item's lines alone, so that a plan with a
        few hundred bad records costs a few hundred small parses, not a second parse of the
        file; anything else parses the whole file again with positions."""
        if self._marked is None and len(path) >= 2 and isinstance(path[1], int):
            spans = self.items.get(str(path[0]))
            found = spans.locate(self, path, key) if spans is not None else None
            if found is not None:
                return found
        return self._walk(self.marked().data, path, key)

    @staticmethod
    def _walk(node: Any, path: tuple[str | int, ...], key: bool) -> Mark:
        mark = (1, 1)
        if isinstance(node, (YMap, YList)):
            mark = node.mark
        for i, part in enumerate(path):
            last = i == len(path) - 1
            if isinstance(node, YMap) and isinstance(part, str) and part in node:
                mark = node.key_at(part) if (last and key) else node.value_at(part)
                node = node[part]
            elif isinstance(node, YList) and isinstance(part, int) and 0 <= part < len(node):
                mark, node = node.item_at(part), node[part]
            else:
                break
        return mark

    def place(self, path: tuple[str | int, ...], key: bool = False) -> tuple[str, int, int]:
        """The file, line and column of the value at `path` (of its key when `key`): this
        file, unless a scenario's patch put the value there (see scenarios.PatchedDocument)."""
        return (self.file, *self.locate(path, key=key))


# What YAML counts as a line break: a pattern, compiled (and kept by `re`) the first time
# an item is placed alone, which most runs never do.
_LINE_BREAK = "\r\n|[\r\n\x85\u2028\u2029]"
MAX_ITEM_PARSES = 256  # items of one list placed alone; past that, the whole file once


# no __eq__ or __repr__: nothing compares or prints one, and each is code compiled at import
@dataclass(eq=False, repr=False)
class _ItemLines:
    """Where the items of one top-level list start, recorded by a parse without positions:
    each item's 1-based line and column and the offset (in characters) of its line, and
    the offset and column where the list ends."""

    lines: list[int] = field(default_factory=list)
    columns: list[int] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)
    end: int = 0
    end_column: int = 0
    _parsed: dict[int, Any] = field(default_factory=dict, repr=False)  # index -> node or None
    _text: str | None = field(default=None, repr=False)

    def append(self, mark: Any) -> None:
        """An item starts at this libyaml mark (0-based line and column, offset)."""
        self.lines.append(mark.line + 1)
        self.columns.append(mark.column + 1)
        self.offsets.append(mark.index - mark.column)

    def close(self, mark: Any) -> None:
        """The list ends at this mark."""
        self.end, self.end_column = mark.index, mark.column

    def locate(self, doc: Document, path: tuple[str | int, ...], key: bool) -> Mark | None:
        """The mark at `path` (`(list, index, ...)`) found by parsing the item's lines alone
        (once per item, whatever the number of diagnostics in it), or None when the item does
        not stand on lines of its own (a flow list), parses to something other than what the
        whole file gave, or too many items were asked for (the whole file is then cheaper)."""
        index = path[1]
        assert isinstance(index, int)
        if index not in self._parsed:
            if len(self._parsed) >= MAX_ITEM_PARSES:
                return None
            self._parsed[index] = self._item(doc, path[0], index)
        node = self._parsed[index]
        if node is None:
            return None
        first, column = self.lines[index], self.columns[index]
        if not isinstance(node, (YMap, YList)):
            return first, column
        line, col = Document._walk(node, path[2:], key)
        return first + line - 1, col

    def _item(self, doc: Document, key: str | int, index: int) -> Any:
        """Item `index` parsed with positions from its own lines, or None."""
        lines = self.lines
        data = doc.data.get(key) if isinstance(doc.data, dict) else None
        if not 0 <= index < len(lines) or not isinstance(data, list) or doc.raw is None:
            return None
        if index and lines[index - 1] == lines[index]:
            return None  # items sharing a line: only the whole file says where
        if index + 1 < len(lines) and lines[index + 1] == lines[index]:
            return None
        if self._text is None:
            self._text = doc.raw.decode("utf-8").removeprefix("\ufeff")
        text = self._text
        if "\ufeff" in text:
            return None  # libyaml skips a second BOM without counting it: offsets differ
        start, column = self.offsets[index], self.columns[index]
        if index + 1 < len(lines):
            stop = self.offsets[index + 1]
        elif self.end_column:  # the list ends inside a line: take that line whole
            found = re.compile(_LINE_BREAK).search(text, self.end)
            stop = found.start() if found is not None else len(text)
        else:
            stop = self.end
        item = " " * (column - 1) + text[start + column - 1 : stop]  # the item, at its column
        builder = _Builder(doc.file, item)
        try:
            node = builder.build()
        except (yaml.YAMLError, _LimitExceeded):
            return None
        return None if builder.diagnostics or node != data[index] else node


_NUMBER = re.compile(r"[-+]?((0|[1-9][0-9]*(_[0-9]+)*)(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?")
_NUMBER_START = frozenset("0123456789+-.")
_SPECIAL: dict[str, Any] = {
    "": None, "~": None, "null": None, "Null": None, "NULL": None,
    "true": True, "True": True, "TRUE": True,
    "false": False, "False": False, "FALSE": False,
}  # fmt: skip


def resolve_plain(text: str) -> Any:
    """The value of a plain (unquoted) scalar under salesplan's YAML 1.2-like rules.

    Only true/false are booleans and null/~/empty is null; a number (underscores allowed
    between digits, no leading zero) becomes an exact Decimal; anything else is text.
    """
    if text[:1] in _NUMBER_START:
        if _NUMBER.fullmatch(text):
            return Decimal(text.replace("_", ""))
        return text
    if text in _SPECIAL:
        return _SPECIAL[text]
    return text


@contextmanager
def gc_paused() -> Iterator[None]:
    """No garbage collection inside: a parse creates many objects and frees none, and each
    collection would walk them all (measured 3x faster on large files)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _LimitExceeded(Exception):
    pass


class _NeedsMarks(Exception):
    """A plain parse met something to report: the file is parsed again with positions."""


def _pack(event: Any) -> int:
    mark = event.start_mark
    packed: int = (mark.line + 1) << _SHIFT | (mark.column + 1)
    return packed


class _Builder:
    """Builds YMap/YList/scalars from libyaml events, reporting what salesplan forbids.

    The hot path (plain keys and scalars without anchors or tags) is kept short: a plan of
    100,000 reps is a few million events.
    """

    def __init__(self, file: str, text: str, marks: bool = True) -> None:
        self.file = file
        # Without marks: plain dicts and lists, and any problem stops the build (_NeedsMarks)
        # so that a build with marks reports it exactly.
        self.marks = marks
        self.get: Callable[[], Any] = yaml.CSafeLoader(text).get_event
        self.diagnostics: list[Diagnostic] = []
        self.nodes = 0
        self.items: dict[str, _ItemLines] = {}  # without marks: the top-level lists' items
        self.reported: dict[str, int] = {}  # problems found, by code
        self.first_dropped: dict[str, Mark] = {}  # where the first one not listed is, by code
        self.aliased = False  # an alias leaves a value out: the file is then reported alone

    def report(self, code: str, message: str, event: Any) -> None:
        """A problem at `event`; past MAX_PER_CODE of one code only counted (see `summary`),
        so that 200,000 aliases cost what their events cost."""
        if not self.marks:
            raise _NeedsMarks
        m = event.start_mark
        seen = self.reported[code] = self.reported.get(code, 0) + 1
        if seen > MAX_PER_CODE:
            self.first_dropped.setdefault(code, (m.line + 1, m.column + 1))
            return
        self.diagnostics.append(diagnostic(code, message, self.file, m.line + 1, m.column + 1))

    def summary(self) -> list[Diagnostic]:
        """One SP115 line per code that had more than MAX_PER_CODE problems."""
        return [
            diagnostic(
                "SP115",
                f"{self.reported[code] - MAX_PER_CODE:,} more {code} problems in this file are "
                "not listed; fix the ones above first",
                self.file,
                *at,
            )
            for code, at in self.first_dropped.items()
        ]

    def too_many(self, event: Any) -> None:
        """Stop at the limit, in either mode: the file is not parsed a second time for it."""
        m = event.start_mark
        message = f"more than {MAX_NODES:,} YAML values; split the file"
        self.diagnostics.append(diagnostic("SP111", message, self.file, m.line + 1, m.column + 1))
        raise _LimitExceeded

    def build(self) -> Any:
        get = self.get
        get()  # stream start
        event = get()
        if type(event) is not yaml.DocumentStartEvent:
            return None  # an empty stream
        data = self.node(get(), 1)
        get()  # document end
        event = get()
        if type(event) is yaml.DocumentStartEvent:
            message = "a second YAML document starts here; keep one document per file"
            self.report("SP109", message, event)
        return data

    def node(self, event: Any, depth: int, spans: _ItemLines | None = None) -> Any:
        """The value of a node; `spans` records where a list's items start (see _ItemLines)."""
        self.nodes += 1
        kind = type(event)
        if kind is yaml.ScalarEvent and event.anchor is None and event.tag is None:
            return resolve_plain(event.value) if event.implicit[0] else event.value
        if self.nodes > MAX_NODES:
            self.too_many(event)
        if depth > MAX_DEPTH:
            message = f"nesting deeper than {MAX_DEPTH} levels; flatten the data"
            self.report("SP111", message, event)
            raise _LimitExceeded
        if kind is yaml.AliasEvent:
            self.report("SP105", f"alias *{event.anchor} is not allowed; repeat the value", event)
            self.aliased = True
            return None
        if event.anchor is not None:
            message = f"anchor &{event.anchor} is not allowed; write the value out where it is used"
            self.report("SP105", message, event)
        if event.tag is not None and not (
            kind is yaml.ScalarEvent and event.tag == "!" and event.implicit[1]
        ):
            tag = re.sub(r"^tag:yaml\.org,2002:", "!!", event.tag)
            self.report("SP107", f"tag {tag} is not allowed; remove it", event)
        if kind is yaml.ScalarEvent:
            return resolve_plain(event.value) if event.implicit[0] else event.value
        if kind is yaml.SequenceStartEvent:
            return self.sequence(event, depth, spans)
        return self.mapping(event, depth)

    def sequence(self, start: Any, depth: int, spans: _ItemLines | None = None) -> list[Any]:
        seq = YList(_pack(start)) if self.marks else []
        get, node = self.get, self.node
        marks = seq.items_at if isinstance(seq, YList) else None
        scalar, end = yaml.ScalarEvent, yaml.SequenceEndEvent
        depth += 1
        while True:
            event = get()
            kind = type(event)
            if kind is end:
                self.nodes += len(seq)
                if spans is not None:
                    spans.close(event.start_mark)
                return seq
            if not len(seq) & 0xFFFF and self.nodes + len(seq) > MAX_NODES:
                self.too_many(event)
            if marks is not None:
                mark = event.start_mark
                marks.append((mark.line + 1) << _SHIFT | (mark.column + 1))
            elif spans is not None:
                spans.append(event.start_mark)
            if kind is scalar and event.anchor is None and event.tag is None:
                value = event.value
                seq.append(resolve_plain(value) if event.implicit[0] else value)
            else:
                seq.append(node(event, depth))

    def mapping(self, start: Any, depth: int) -> dict[str, Any]:
        mapping = YMap(_pack(start)) if self.marks else {}
        get, node = self.get, self.node
        marks = mapping.marks if isinstance(mapping, YMap) else None
        scalar, end = yaml.ScalarEvent, yaml.MappingEndEvent
        number_start, special = _NUMBER_START, _SPECIAL
        top = depth == 1 and marks is None  # its lists' items are recorded (see _ItemLines)
        depth += 1
        while True:
            key_event = get()
            kind = type(key_event)
            if kind is scalar and key_event.anchor is None and key_event.tag is None:
                key = intern(key_event.value)  # keys repeat in every record: share them
                if key_event.implicit[0] and (key[:1] in number_start or key in special):
                    key = resolve_plain(key)
            elif kind is end:
                self.nodes += 2 * len(mapping)
                return mapping
            else:
                key = node(key_event, depth)
            if not len(mapping) & 0xFFFF and self.nodes + 2 * len(mapping) > MAX_NODES:
                self.too_many(key_event)
            value_event = get()
            if (
                type(value_event) is scalar
                and value_event.anchor is None
                and value_event.tag is None
            ):
                value = value_event.value
                if value_event.implicit[0] and (value[:1] in number_start or value in special):
                    value = resolve_plain(value)
            elif top and key.__class__ is str and type(value_event) is yaml.SequenceStartEvent:
                value = node(value_event, depth, self.items.setdefault(key, _ItemLines()))
            else:
                value = node(value_event, depth)
            suspect = key.__class__ is not str or key == "<<" or key in mapping
            if suspect:
                if marks is None:
                    raise _NeedsMarks
                if not self.valid_key(key, key_event, cast(YMap, mapping)):
                    continue
            mapping[key] = value
            if marks is None:
                continue
            kmark, vmark = key_event.start_mark, value_event.start_mark
            marks[key] = pack(kmark.line + 1, kmark.column + 1) << _PAIR | pack(
                vmark.line + 1, vmark.column + 1
            )

    def valid_key(self, key: Any, event: Any, mapping: YMap) -> bool:  # with marks only
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
            line = mapping.key_at(key)[0]
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


def parse_yaml(file: str, raw: bytes, marks: bool = True) -> Document:
    """Parse one YAML file into a Document; every problem becomes a diagnostic.

    Without `marks`, the data is plain dicts and lists and positions are found again on
    demand (see Document); a file with any problem is parsed with them straight away."""
    text, problems = decode(file, raw)
    if text is None:
        return Document(file, None, problems, raw=raw)
    if not marks:
        plain = _Builder(file, text, marks=False)
        with gc_paused():
            try:
                data = plain.build()
            except _LimitExceeded:
                return Document(file, None, plain.diagnostics, raw=raw)
            except (_NeedsMarks, yaml.YAMLError):
                pass
            else:
                if data is not None:
                    return Document(file, data, raw=raw, items=plain.items)
    builder = _Builder(file, text)
    data = None
    with gc_paused():
        try:
            data = builder.build()
        except _LimitExceeded:
            data = None
        except yaml.MarkedYAMLError as err:
            mark = err.problem_mark or err.context_mark
            line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            message = _syntax_message(err, text)
            code = "SP111" if "nesting depth" in message else "SP103"
            if code == "SP111":
                message += "; flatten the data"
            builder.diagnostics.append(diagnostic(code, message, file, line, column))
            data = None
        except yaml.reader.ReaderError as err:  # a character YAML does not allow
            builder.diagnostics.append(_bad_character(file, text, err))
            data = None
        except yaml.YAMLError as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else "invalid YAML"
            builder.diagnostics.append(diagnostic("SP103", first, file, 1, 1))
            data = None
    if builder.aliased:
        # Each alias is a value left out: its file is reported alone, like a file that does
        # not parse, so that no check reports what follows from the missing values.
        data = None
    document = Document(file, data, builder.diagnostics + builder.summary(), raw=raw)
    if data is None and not document.diagnostics:
        message = "file is empty (no YAML data, only blanks or comments); give it its content"
        document.diagnostics.append(diagnostic("SP110", message, file, 1, 1))
    return document


def _bad_character(file: str, text: str, err: yaml.reader.ReaderError) -> Diagnostic:
    """A control character (NUL, ESC...) at its line and column, named, on one line."""
    position = min(max(err.position, 0), len(text))
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    code = err.character if isinstance(err.character, int) else ord(str(err.character)[:1] or "?")
    message = f"control character U+{code:04X} is not allowed in YAML; remove it"
    return diagnostic("SP103", message, file, line, column)


def _syntax_message(err: yaml.MarkedYAMLError, text: str) -> str:
    """libyaml's problem, with where the construct it was reading started and a tab hint."""
    message = str(err.problem or err.context or "invalid YAML")
    start, mark = err.context_mark, err.problem_mark
    if (
        err.problem
        and err.context
        and start is not None
        and (mark is None or (start.line, start.column) != (mark.line, mark.column))
    ):
        at = f"line {start.line + 1}, column {start.column + 1}"
        what = re.sub(r"^while (parsing|scanning) an? ", "in the ", err.context)
        message += f" ({what} that starts at {at})" if what != err.context else f" ({what} at {at})"
    if mark is not None and mark.index < len(text) and text[mark.index] == "\t":
        message += "; indent with spaces, not tabs"
    return message

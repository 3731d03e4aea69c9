"""Results as JSON: amounts are strings holding the exact decimal, ratios are numbers."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from itertools import islice
from typing import Any

from salesplan.money import AmountTexts, fmt_amount, fmt_amounts


def amount(value: Decimal | None, exponent: int) -> str | None:
    """The exact decimal text of an amount with the currency's number of decimals."""
    return None if value is None else fmt_amount(value, exponent)


def amounts(values: Iterable[Decimal], exponent: int) -> list[str]:
    """`amount` of each value of a list (a node's periods)."""
    return fmt_amounts(values, exponent)


def ratio(value: Decimal | None, places: int = 6) -> float | None:
    return None if value is None else round(float(value), places)


def _compact_encoder() -> Callable[[Any], str]:
    """One-line JSON with ", " and ": " separators. `json.dumps` builds a new C encoder on
    every call, 6 us each, more than a record takes to encode; the standard library's own
    C encoder is built once here when it is available."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        encoder = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))
        return encoder.encode
    base = json.JSONEncoder()
    iterencode = make(
        None, base.default, json.encoder.encode_basestring, None, ": ", ", ", False, False, True
    )
    return lambda value: "".join(iterencode(value, 0))


_compact = _compact_encoder()


def dumps(document: Any) -> str:
    """The whole JSON text of `document` (see `chunks`)."""
    return "".join(chunks(document))


RECORDS_PER_CHUNK = 2000


# What the encoder leaves raw in a string that a terminal or a CI log would act on: DEL, the
# C1 controls, the line and paragraph separators and the characters that reorder or hide
# text (as escape.py lists them; the encoder escapes the C0 controls itself).
_RAW = "[\x7f-\x9f\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"


def _escaped(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def safe(text: str) -> str:
    """JSON `text` with every character of `_RAW` written as its `\\uXXXX` escape: the same
    JSON (a reader decodes the same strings), safe to print in a terminal or a CI log. Such
    a character can only stand inside a string, where the escape means the character."""
    if text.isascii() and "\x7f" not in text:
        return text  # the common case, no regular expression
    return re.sub(_RAW, _escaped, text)


def chunks(document: Any) -> Iterator[str]:
    """JSON laid out for people and diffs at C speed, in pieces: one top-level key per line
    and, in a list of records, one record per line (`indent=` would fall back to the slow
    encoder, seconds on a plan of 10,000 reps). A top-level value may be a generator of
    records, encoded as it is consumed, so a big result is never held whole as dicts or
    text. Every piece is `safe`."""
    return map(safe, _pieces(document))


def _pieces(document: Any) -> Iterator[str]:
    if not isinstance(document, dict) or not document:
        yield _compact(document) + "\n"
        return
    opening = "{\n"
    for key, value in document.items():
        head = f"{opening}  {_compact(key)}: "
        opening = ",\n"
        if isinstance(value, EncodedRecords):
            yield from _records(head, value.texts, _texts)
        elif isinstance(value, Iterator) or (
            isinstance(value, list) and value and all(isinstance(v, dict) for v in value)
        ):
            yield from _records(head, iter(value))
        else:
            yield head + _compact(value)
    yield "\n}\n"


def _records(
    head: str, records: Iterator[Any], batch_of: Callable[[Iterator[Any]], list[str]] | None = None
) -> Iterator[str]:
    next_batch = batch_of or _batch
    batch = next_batch(records)
    if not batch:
        yield head + "[]"
        return
    yield head + "[\n    " + ",\n    ".join(batch)
    while batch := next_batch(records):
        yield ",\n    " + ",\n    ".join(batch)
    yield "\n  ]"


def _batch(records: Iterator[Any]) -> list[str]:
    """The next records as JSON."""
    return [_compact(r) for r in islice(records, RECORDS_PER_CHUNK)]


def _texts(records: Iterator[str]) -> list[str]:
    """The next records of an `EncodedRecords`: JSON texts already."""
    return list(islice(records, RECORDS_PER_CHUNK))


class EncodedRecords:
    """A list's records as a view wrote them in JSON itself (plain texts, each exactly what
    the encoder would write for its record), taken as they come: a view of many records of
    one shape fills a template with texts it knows need no escaping, twice as fast as
    building a dict and encoding it. One mark on the whole list, not a str subclass per
    record (0.4-0.7 us a record: 4-8 ms for the 11,011 nodes of a 10,000-rep reconcile)."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.texts = iter(texts)


string: Callable[[str], str] = json.encoder.encode_basestring  # the encoder's own
BOOLEAN = ("false", "true")  # indexed by a bool


def nullable(text: str | None) -> str:
    """A text known to need no escaping (an amount's), or null."""
    return "null" if text is None else f'"{text}"'


def string_or_null(text: str | None) -> str:
    """Any text as the encoder writes it (escaped), or null."""
    return "null" if text is None else string(text)


def amount_list(text: AmountTexts, amounts: Iterable[Decimal]) -> str:
    """A list of amounts, each as `text` formats it (no escaping needed)."""
    texts = text.many(amounts)
    return '["' + '", "'.join(texts) + '"]' if texts else "[]"


class Once(dict[Any, str]):
    """`write` of each distinct value once: records alike share their periods and months,
    and a look-up costs a tenth of writing them."""

    def __init__(self, write: Callable[[Any], str]) -> None:
        super().__init__()
        self.write = write

    def __missing__(self, value: Any) -> str:
        found = self[value] = self.write(value)
        return found


def number(value: float | None) -> str:
    """A float as the encoder writes it (NaN and Infinity too), or null."""
    if value is None:
        return "null"
    return repr(value) if math.isfinite(value) else _compact(value)


class QuotaFields:
    """A node of an allocation (or a proposal) as docs/design.md, "Plan files" shapes it
    (id, level, parent, total, periods, pinned), written as JSON without its braces for a
    view's records (`EncodedRecords`): each distinct tuple of periods written once (nodes
    alike are phased alike)."""

    def __init__(self, text: AmountTexts) -> None:
        self.text = text
        self.periods = Once(lambda periods: amount_list(text, periods))

    def __call__(self, node: Any) -> str:
        return (
            f'"id": {string(node.id)}, "level": {string(node.level)}, '
            f'"parent": {string_or_null(node.parent)}, "total": "{self.text(node.total)}", '
            f'"periods": {self.periods[node.periods]}, "pinned": {BOOLEAN[node.pinned]}'
        )

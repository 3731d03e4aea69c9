"""Validate parsed documents against the models: every problem becomes a diagnostic at the
line and column of the offending key or value, and one bad item hides no other."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from salesplan.diagnostics import Diagnostic, diagnostic
from salesplan.schema_errors import schema_diagnostics
from salesplan.source import Document

M = TypeVar("M", bound=BaseModel)


def validate(
    doc: Document, model: type[M], problems: list[Diagnostic], salvage: bool = False
) -> M | None:
    """The file's model, or None with its problems reported. With `salvage`, the offending
    keys are dropped and validation retried (defaults apply), so that one typo in
    salesplan.yaml does not hide every problem in the other files."""
    if doc.data is None:
        return None
    try:
        return model.model_validate(doc.data)
    except ValidationError as err:
        problems.extend(schema_diagnostics(doc, err, model))
        if not salvage:
            return None
        return _salvaged(doc.data, err, model)


def _salvaged(data: Any, err: ValidationError, model: type[M]) -> M | None:
    for _ in range(3):
        data = _plain(data)
        for error in err.errors(include_url=False):
            _drop(data, tuple(error["loc"]))
        try:
            return model.model_validate(data)
        except ValidationError as again:
            err = again
    return None


def _plain(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_plain(v) for v in data]
    return data


def _drop(data: Any, loc: tuple[str | int, ...]) -> None:
    """Remove the value at `loc` (or its nearest existing parent key) from plain data."""
    node: Any = data
    parents: list[tuple[Any, Any]] = []
    for part in loc:
        present = (
            part in node
            if isinstance(node, dict)
            else (isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node))
        )
        if not present:
            break
        parents.append((node, part))
        node = node[part]
    for container, part in reversed(parents):
        if isinstance(container, dict):
            del container[part]
            return


def validate_items(
    doc: Document, key: str, model: type[M], problems: list[Diagnostic], broken: set[str]
) -> tuple[list[M], dict[str, int]]:
    """Validate each item of the list `key` on its own so one bad item hides no other."""
    items = doc.data.get(key) if isinstance(doc.data, dict) else None
    if items is None:
        return [], {}
    if not isinstance(items, list):
        file, line, col = doc.place((key,))
        problems.append(diagnostic("SP203", f"expected a list of {key}", file, line, col, key))
        return [], {}
    valid: list[M] = []
    index: dict[str, int] = {}
    invalid: list[int] = []
    check = validator(model)  # item by item: as fast as one call for the whole list
    for i, item in enumerate(items):
        if not isinstance(item, dict) and len(invalid) >= MAX_INVALID_ITEMS:
            invalid.append(i)  # not even a mapping: no need to ask the model why
            continue
        try:
            obj = check(item)
        except ValidationError as err:
            if len(invalid) < MAX_INVALID_ITEMS:  # reported; the rest only counted
                problems.extend(schema_diagnostics(doc, err, model, prefix=(key, i)))
            invalid.append(i)
            if isinstance(item, dict) and isinstance(item.get("id"), str):
                broken.add(item["id"])
            continue
        valid.append(obj)
        index.setdefault(obj.id, i)  # type: ignore[attr-defined]
    if len(invalid) > MAX_INVALID_ITEMS:
        first = invalid[MAX_INVALID_ITEMS]
        file, line, col = doc.place((key, first))
        more = len(invalid) - MAX_INVALID_ITEMS
        message = f"{more:,} more invalid items in {key} are not listed; fix the ones above first"
        problems.append(diagnostic("SP115", message, file, line, col, f"{key}[{first}]"))
    return valid, index


MAX_INVALID_ITEMS = 100  # items of one list reported one by one


def validator(model: type[M]) -> Callable[[Any], M]:
    """`model.model_validate` without its wrapper, a tenth of a rep's validation: it is
    called once per rep and per territory (20,000 times at 10,000 reps)."""
    model.model_rebuild()  # its validator is built on first use (defer_build); once
    return model.__pydantic_validator__.validate_python


def check_top_keys(doc: Document, allowed: Iterable[str], problems: list[Diagnostic]) -> None:
    if doc.data is None:
        return
    if not isinstance(doc.data, dict):
        line, col = doc.locate(())
        problems.append(
            diagnostic("SP203", "expected a mapping at the top of the file", doc.file, line, col)
        )
        return
    known = list(allowed)
    for key in doc.data:
        if key not in known:
            file, line, col = doc.place((key,), key=True)
            problems.append(
                diagnostic(
                    "SP201",
                    f"unknown key {key!r}; expected one of {', '.join(known)}",
                    file,
                    line,
                    col,
                    key,
                )
            )

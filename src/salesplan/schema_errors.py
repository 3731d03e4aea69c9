"""Turn pydantic validation errors into diagnostics at the offending key or value."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ValidationError

from salesplan.diagnostics import Diagnostic, diagnostic
from salesplan.money import MAX_AMOUNT, MAX_DECIMALS
from salesplan.source import Document, resolve_plain

Loc = tuple[str | int, ...]


def _data_path(doc: Document, loc: Loc) -> Loc:
    """The part of a pydantic `loc` that names keys and indexes present in the data."""
    node, path = doc.data, []
    for part in loc:
        in_map = isinstance(node, dict) and isinstance(part, str) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if not (in_map or in_list):
            continue
        node = node[part]
        path.append(part)
    return tuple(path)


SHOWN = 80  # characters of a value quoted in a message at most


def show(value: Any) -> str:
    """A value as a message quotes it: text cut to SHOWN characters (a 200,000-character
    name is not echoed whole)."""
    if isinstance(value, str):
        return repr(value if len(value) <= SHOWN else value[: SHOWN - 1] + "…")
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "nothing"
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


MALFORMED = (
    " (not a number as written: digits with an optional sign and decimal point, _ only"
    " between digits, e.g. 1_000_000.50; no commas, currency signs or suffixes like k)"
)


def _number_hint(value: Any) -> str:
    """Why text stands where a number belongs. Text that YAML would read as a number when
    unquoted (`"1000"`) was quoted; any other text with a digit is a number YAML cannot
    read (`1_`, `1,000`, `1.2.3`, `12k`, `$5`): quotes are not its problem."""
    if not isinstance(value, str):
        return ""
    if isinstance(resolve_plain(value.strip()), Decimal):
        return " (a quoted number is text; remove the quotes)"
    digits = value.replace("_", "").replace(".", "", 1).lstrip("+-")
    if digits.isdigit() and value.lstrip("+-").startswith("0") and len(digits) > 1:
        return " (a leading zero is ambiguous; write the number without it)"
    return MALFORMED if any(c.isdigit() for c in value) else ""


def friendly(error: Any) -> str:
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    if kind in {"decimal_type", "decimal_parsing", "is_instance_of", "finite_number"}:
        return f"expected a number, got {show(value)}{_number_hint(value)}"
    if kind in {"string_type"}:
        hint = " (quote it)" if isinstance(value, (Decimal, bool)) else ""
        return f"expected text, got {show(value)}{hint}"
    if kind.startswith("date_"):
        return f"expected a date as YYYY-MM-DD, got {show(value)}"
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == r"\S":
        return "must not be blank: name an owner, or remove the key"
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == r"^[A-Z]{3}$":
        return f"{show(value)} is not a currency code: three capital letters, e.g. EUR"
    if kind == "string_pattern_mismatch":
        return (
            f"{show(value)} is not a valid id: use letters, digits and . _ - @ +, "
            "starting with a letter or digit"
        )
    if out_of_range(error):
        problem = f"must have at most {MAX_DECIMALS} decimals"
        if kind != "decimal_max_places":
            problem = "must be at most 10^15 (1,000,000,000,000,000) in size"
        return f"{show(value)} is out of range: it {problem}"
    if kind in {"greater_than_equal", "greater_than"}:
        return f"must be at least {ctx.get('ge', ctx.get('gt'))}, got {show(value)}"
    if kind in {"less_than_equal", "less_than"}:
        return f"must be at most {ctx.get('le', ctx.get('lt'))}, got {show(value)}"
    if kind == "value_error":  # a model's own rule, worded in full where it is raised
        return f"{ctx.get('error', error['msg'])}, got {show(value)}"
    if kind == "literal_error":
        return f"expected {ctx.get('expected')}, got {show(value)}"
    if kind in {"dict_type", "model_type", "model_attributes_type"}:
        return f"expected a mapping of keys to values, got {show(value)}"
    if kind == "list_type":
        return f"expected a list, got {show(value)}"
    if kind == "too_short":
        return "must not be empty"
    if kind in {"bool_type", "bool_parsing"}:
        return f"expected true or false, got {show(value)}"
    return f"{error['msg']}, got {show(value)}"


def out_of_range(error: Any) -> bool:
    """A number beyond the bounds every number of a plan keeps (model.py)."""
    kind, ctx = error["type"], error.get("ctx") or {}
    return (
        kind == "decimal_max_places"
        or (kind == "less_than_equal" and ctx.get("le") == MAX_AMOUNT)
        or (kind == "greater_than_equal" and ctx.get("ge") == -MAX_AMOUNT)
    )


MAPPING_ERRORS = frozenset({"dict_type", "model_type", "model_attributes_type"})


def _mapping_hint(kind: str, model: type[BaseModel], loc: Loc) -> str:
    """What a mapping that was given as a scalar looks like: `; write ote: {base: ..., ...}`."""
    keys = _allowed_keys(model, loc) if kind in MAPPING_ERRORS and loc else []
    if not keys or not isinstance(loc[-1], str):
        return ""
    shown = ", ".join(f"{k}: ..." for k in keys[:4]) + (", ..." if len(keys) > 4 else "")
    return f"; write it as `{loc[-1]}: {{{shown}}}`"


def _allowed_keys(model: type[BaseModel], loc: Loc) -> list[str]:
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue  # an item of a list field: `current` is already the item's model
        fields = getattr(current, "model_fields", None)
        if fields is None or not isinstance(part, str) or part not in fields:
            return []
        annotation = fields[part].annotation
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        current = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
        if current is None:
            return []
    return list(getattr(current, "model_fields", {}))


MAX_PER_ITEM = 50  # problems of one item (or file) reported one by one


def schema_diagnostics(
    doc: Document, err: ValidationError, model: type[BaseModel], prefix: Loc = ()
) -> Iterator[Diagnostic]:
    """One diagnostic per distinct place, at the key for unknown keys, else at the value;
    past MAX_PER_ITEM in one item (or file), one SP115 line counts the rest."""
    seen: set[Loc] = set()
    errors = err.errors(include_url=False)
    if len(errors) > MAX_PER_ITEM:
        more = len(errors) - MAX_PER_ITEM
        file, line, col = doc.place(_data_path(doc, prefix))
        message = f"{more:,} more problems in this {'item' if prefix else 'file'} are not listed; fix the ones above first"
        yield diagnostic("SP115", message, file, line, col, dotted(prefix))
        errors = errors[:MAX_PER_ITEM]
    for error in errors:
        loc: Loc = prefix + tuple(error["loc"])
        kind = error["type"]
        if kind == "extra_forbidden":
            key = str(loc[-1])
            path = _data_path(doc, loc)
            allowed = _allowed_keys(model, tuple(_data_path(doc, loc[:-1]))[len(prefix) :])
            import difflib

            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            if not close and allowed:
                hint = f"; expected one of {', '.join(allowed)}"
            file, line, col = doc.place(path, key=True)
            code, message = "SP201", f"unknown key {key!r}{hint}"
        elif kind == "missing":
            path = _data_path(doc, loc[:-1])
            file, line, col = doc.place(path)
            name = loc[-1]
            code, message = "SP202", f"missing required key {name!r}; add `{name}:` to this mapping"
            path = (*path, loc[-1])
        else:
            path = _data_path(doc, loc)
            if path in seen:
                continue
            file, line, col = doc.place(path)
            code = "SP204" if path == ("salesplan",) else "SP203"
            code = "SP412" if out_of_range(error) else code
            message = friendly(error) + _mapping_hint(kind, model, loc[len(prefix) :])
            if code == "SP204":
                message = f"unsupported format version {show(error.get('input'))}; expected 1"
        seen.add(path)
        yield diagnostic(code, message, file, line, col, dotted(path))


def dotted(path: Loc) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out

"""Results as JSON: amounts are strings holding the exact decimal, ratios are numbers."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

_QUANTA = {e: Decimal(1).scaleb(-e) for e in range(8)}


def amount(value: Decimal | None, exponent: int) -> str | None:
    """The exact decimal text of an amount with the currency's number of decimals."""
    if value is None:
        return None
    if value == value.to_integral_value():  # whole amounts (the usual quota): no quantize
        return f"{int(value)}.{'0' * exponent}" if exponent else str(int(value))
    return str(value.quantize(_QUANTA.get(exponent) or Decimal(1).scaleb(-exponent)))


def ratio(value: Decimal | None, places: int = 6) -> float | None:
    return None if value is None else round(float(value), places)


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def dumps(document: Any) -> str:
    """JSON laid out for people and diffs at C speed: one top-level key per line and, in a
    list of records, one record per line (`indent=` would fall back to the slow encoder,
    seconds on a plan of 10,000 reps)."""
    if not isinstance(document, dict) or not document:
        return _compact(document) + "\n"
    lines = []
    for key, value in document.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            items = ",\n".join(f"    {_compact(v)}" for v in value)
            text = f"[\n{items}\n  ]"
        else:
            text = _compact(value)
        lines.append(f"  {_compact(key)}: {text}")
    return "{\n" + ",\n".join(lines) + "\n}\n"


def quota_node(node: Any, exponent: int) -> dict[str, Any]:
    """A node of an allocation (or a proposal) as DESIGN §3 shapes it."""
    return {
        "id": node.id,
        "level": node.level,
        "parent": node.parent,
        "total": amount(node.total, exponent),
        "periods": [amount(p, exponent) for p in node.periods],
        "pinned": node.pinned,
    }

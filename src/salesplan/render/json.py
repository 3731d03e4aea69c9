"""Results as JSON: amounts are strings holding the exact decimal, ratios are numbers."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def amount(value: Decimal | None, exponent: int) -> str | None:
    if value is None:
        return None
    return str(value.quantize(Decimal(1).scaleb(-exponent)))


def ratio(value: Decimal | None, places: int = 6) -> float | None:
    return None if value is None else round(float(value), places)


def dumps(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

"""Cell values as CRMs write them: amounts in any locale, dates in any order, yes/no flags.
Each parser works on one distinct value (exports repeat values; callers map them)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

MAX_AMOUNT = Decimal(10) ** 15
_CODE = re.compile(r"^([A-Z]{3})\s*(.*)$|^(.*?)\s*([A-Z]{3})$")
_SYMBOLS = str.maketrans("", "", "$€£¥₹\u00a0")
_PLAIN = re.compile(r"^[+-]?\d+(\.\d+)?$", re.ASCII)


def amount_pattern(decimal: str, thousands: str) -> re.Pattern[str]:
    """A number in this locale: digits, optionally grouped by threes, optional decimals."""
    d, t = re.escape(decimal), re.escape(thousands)
    grouped = rf"\d{{1,3}}(?:{t}\d{{3}})+" if thousands else r"(?!)"
    return re.compile(rf"^(?:{grouped}|\d+)(?:{d}\d+)?$", re.ASCII)


def parse_amount(
    text: str, decimal: str, thousands: str, pattern: re.Pattern[str]
) -> tuple[Decimal | None, str | None]:
    """(amount, currency code written in the cell) or (None, None) when it is no number.
    `$1,200.50`, `EUR 1.200,50` (with decimal ","), `(300.00)` and `-300` are numbers."""
    if _PLAIN.match(text) and decimal == ".":
        value = Decimal(text)
        return (value, None) if abs(value) < MAX_AMOUNT else (None, None)
    code = None
    found = _CODE.match(text)
    if found:
        code = found.group(1) or found.group(4)
        text = (found.group(2) if found.group(1) else found.group(3)) or ""
    body = text.translate(_SYMBOLS).strip()
    negative = False
    if body.startswith("(") and body.endswith(")"):
        negative, body = True, body[1:-1].strip()
    if body[:1] in "+-" and body:
        negative, body = negative != (body[0] == "-"), body[1:].translate(_SYMBOLS).strip()
    if not pattern.match(body):
        return None, None
    if thousands:
        body = body.replace(thousands, "")
    try:
        value = Decimal(body.replace(decimal, "."))
    except InvalidOperation:
        return None, None
    if abs(value) >= MAX_AMOUNT:
        return None, None
    return (-value if negative else value), code


_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$", re.ASCII)
_NUMERIC = re.compile(r"^(\d{1,4})[./-](\d{1,2})[./-](\d{1,4})(?:[ T,].*)?$", re.ASCII)


def date_order(values: list[str], european: bool) -> tuple[str | None, str | None]:
    """(order, problem) for a column's distinct non-ISO dates: `dmy` or `mdy` when the values
    make it unambiguous (a first part above 12, or a second one), `dmy` in a `;`-separated
    file, else a problem to report (never a guess)."""
    first_big = second_big = False
    for value in values:
        found = _NUMERIC.match(value)
        if found and len(found.group(1)) <= 2:
            first, second = int(found.group(1)), int(found.group(2))
            if first > 12 and second > 12:
                continue  # no date at all; reported as such
            first_big |= first > 12
            second_big |= second > 12
    if first_big and second_big:
        return None, "holds both day-first and month-first dates"
    if first_big:
        return "dmy", None
    if second_big:
        return "mdy", None
    if european:
        return "dmy", None
    for value in values:
        found = _NUMERIC.match(value)
        if (
            found
            and len(found.group(1)) <= 2
            and 0 < int(found.group(1)) <= 12
            and 0 < int(found.group(2)) <= 12
        ):
            return None, "has dates like 03/04 that could be day-first or month-first"
    return "dmy", None  # no such dates at all: the order does not matter


def parse_date(text: str, order: str | None) -> date | None:
    """A date written ISO (`2027-03-01`, with or without a time) or numerically in `order`."""
    found = _ISO.match(text)
    try:
        if found:
            return date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
        found = _NUMERIC.match(text)
        if found is None:
            return None
        a, b, c = found.group(1), int(found.group(2)), found.group(3)
        if len(a) == 4:  # 2027/03/01, 2027/3/1
            return date(int(a), b, int(c)) if len(c) <= 2 else None
        if order is None:
            return None
        if order == "ymd":  # 27/03/01, 27/3/1: the year first, in two digits
            return date(2000 + int(a), b, int(c)) if len(a) == 2 and len(c) <= 2 else None
        if len(c) not in (2, 4):  # a year of one or three digits is no year
            return None
        year = int(c) + (2000 if len(c) == 2 else 0)
        day, month = (int(a), b) if order == "dmy" else (b, int(a))
        return date(year, month, day)
    except ValueError:
        return None


_TRUE = {"true", "1", "yes", "y", "x", "won", "closed", "wahr", "vrai", "ja", "oui", "sí", "si"}
_FALSE = {"false", "0", "no", "n", "", "falsch", "faux", "nein", "non"}


def parse_flag(text: str) -> bool | None:
    folded = text.strip().casefold()
    if folded in _TRUE:
        return True
    if folded in _FALSE:
        return False
    return None

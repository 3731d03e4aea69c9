"""Amounts, exactly and fast: each distinct amount text becomes an integer mantissa and a
number of decimals (value = mantissa × 10^-decimals), never a float.

Plain numbers (`1234.50`, `-3`), which are nearly all of a CRM export, are read with numpy's
string functions in C; the rest (`$1,200.50`, `EUR 1.200,50`, `(300)`) one by one with
`values.parse_amount`. Sums are then integers in one common scale."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from salesplan.importing.values import amount_pattern, parse_amount

DIGITS = "0123456789"
MAX_INT_DIGITS = 15  # amounts below 10^15 (docs/design.md, "Hostile inputs")


@dataclass
class Amounts:
    """Per distinct amount text: mantissa, decimals, whether it is a number, and the
    currency code written in the cell (`EUR 1.200,50`), if any."""

    mantissa: np.ndarray  # int64, or object (Python ints) when a value does not fit
    decimals: np.ndarray  # int64
    ok: np.ndarray  # bool
    written: np.ndarray  # object: currency code or ""

    @property
    def scale(self) -> int:
        return int(self.decimals[self.ok].max()) if self.ok.any() else 0

    def units(self, codes: np.ndarray, scale: int) -> np.ndarray:
        """Each row's amount in 10^-scale units: int64 when no sum can overflow, else
        Python ints."""
        if not len(self.mantissa):
            return np.zeros(len(codes), np.int64)
        shift = scale - self.decimals
        estimate = np.abs(self.mantissa.astype(np.float64)) * np.power(10.0, shift)
        if float(estimate.max()) * max(len(codes), 1) < 2.0**62:
            values = self.mantissa.astype(np.int64) * np.power(10, shift).astype(np.int64)
        else:
            values = np.array(
                [int(m) * 10 ** int(s) for m, s in zip(self.mantissa, shift)], dtype=object
            )
        values[~self.ok] = 0
        result: np.ndarray = values[codes]
        return result


def parse_amounts(uniques: np.ndarray, decimal: str, thousands: str) -> Amounts:
    n = len(uniques)
    mantissa = np.zeros(n, np.int64)
    decimals = np.zeros(n, np.int64)
    ok = np.zeros(n, bool)
    written = np.full(n, "", dtype=object)
    if not n:
        return Amounts(mantissa, decimals, ok, written)
    text = uniques.astype(np.dtypes.StringDType())
    empty = np.strings.str_len(text) == 0
    ok[empty] = True  # a blank amount is 0
    plain = np.zeros(n, bool)
    if decimal == ".":
        plain = _plain(text) & ~empty
        if plain.any():
            chosen = text[plain]
            dot = np.strings.find(chosen, ".")
            length = np.strings.str_len(chosen)
            decimals[plain] = np.where(dot >= 0, length - dot - 1, 0)
            mantissa[plain] = np.strings.replace(chosen, ".", "", 1).astype(np.int64)
            ok[plain] = True
    pattern = amount_pattern(decimal, thousands)
    big: dict[int, int] = {}
    for i in np.flatnonzero(~plain & ~empty):
        value, code = parse_amount(str(uniques[i]), decimal, thousands, pattern)
        if value is None:
            continue
        exponent = value.as_tuple().exponent
        places = max(0, -int(exponent))
        whole = int(value.scaleb(places))
        ok[i], decimals[i], written[i] = True, places, code or ""
        if abs(whole) < 2**62:
            mantissa[i] = whole
        else:
            big[int(i)] = whole
    if big:
        mantissa = mantissa.astype(object)
        for index, value_units in big.items():
            mantissa[index] = value_units
    return Amounts(mantissa, decimals, ok, written)


def _plain(text: np.ndarray) -> np.ndarray:
    """`-1234.50`-like: ASCII digits, one optional leading minus, at most one point, and
    fewer than 10^15 in whole units (so the digits fit an int64)."""
    minus = np.strings.startswith(text, "-")
    body = (
        np.where(minus, np.strings.slice(text, 1, None), text)
        if hasattr(np.strings, "slice")
        else np.strings.lstrip(text, "-")
    )
    points = np.strings.count(body, ".")
    digits = np.strings.replace(body, ".", "", 1)
    length = np.strings.str_len(digits)
    dot = np.strings.find(body, ".")
    whole_digits = np.where(dot >= 0, dot, np.strings.str_len(body))
    only_digits = np.strings.str_len(np.strings.strip(digits, DIGITS)) == 0
    single_minus = np.strings.count(text, "-") == minus.astype(np.int64)
    result: np.ndarray = (
        only_digits
        & single_minus
        & (points <= 1)
        & (length > 0)
        & (length <= 18)
        & (whole_digits <= MAX_INT_DIGITS)
    )
    return result

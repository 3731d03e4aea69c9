"""Money: Decimal amounts, currency minor units and the largest-remainder split."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import NamedTuple

Weight = Fraction | Decimal | int

_ZERO_DECIMALS = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE_DECIMALS = "BHD IQD JOD KWD LYD OMR TND"
_FOUR_DECIMALS = "CLF UYW"
_TWO_DECIMALS = (
    "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN "
    "BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP "
    "GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT "
    "LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN "
    "NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE "
    "SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES "
    "WST XCD XCG YER ZAR ZMW ZWG"
)

MINOR_UNITS: dict[str, int] = {
    code: digits
    for digits, codes in (
        (0, _ZERO_DECIMALS),
        (2, _TWO_DECIMALS),
        (3, _THREE_DECIMALS),
        (4, _FOUR_DECIMALS),
    )
    for code in codes.split()
}


MAX_AMOUNT = Decimal(10) ** 15  # no number in a plan is larger: sums stay exact in Decimal
MAX_DECIMALS = 10  # nor has more decimals (1e-30 as a rounding unit is a typo)


def out_of_bounds(value: Decimal) -> str | None:
    """Why a number read from a plan is beyond what is computed exactly, or None. Within
    the bounds every sum, split and rounding fits Decimal's 28 digits."""
    if not value.is_finite():
        return "must be a finite number"
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    if -MAX_AMOUNT <= value <= MAX_AMOUNT and exponent >= -MAX_DECIMALS:
        return None  # the common case, kept short
    if value.adjusted() > 15 or abs(value) > MAX_AMOUNT:
        return "must be at most 10^15 (1,000,000,000,000,000) in size"
    digits = value.as_tuple().digits
    trailing_zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    if value and exponent + trailing_zeros < -MAX_DECIMALS:
        return f"must have at most {MAX_DECIMALS} decimals"
    return None


def minor_unit(currency: str) -> Decimal | None:
    """The currency's smallest unit (USD 0.01, JPY 1, KWD 0.001); None for an unknown code."""
    digits = MINOR_UNITS.get(currency)
    return None if digits is None else Decimal(1).scaleb(-digits)


def finer_than(amount: Decimal, unit: Decimal) -> bool:
    """Whether `amount` is not a whole number of `unit` (a currency's minor unit): 12.345
    USD or 1.5 JPY. Trailing zeros do not count (12.340 is 12.34)."""
    return amount % unit != 0  # exact: a plan's numbers are bounded (out_of_bounds)


def finer_than_problem(amount: Decimal, currency: str, unit: Decimal) -> str:
    """Why an amount finer than the currency's minor unit is refused, with the two amounts
    it lies between: nothing in salesplan rounds a number given as money without saying so."""
    digits = MINOR_UNITS.get(currency, 2)
    low, high = amount.quantize(unit, ROUND_FLOOR), amount.quantize(unit, ROUND_CEILING)
    fix = f"a multiple of {unit}" if digits else "a whole number"
    return f"{amount:f} has more decimals than {currency} has ({digits}); write {fix}, e.g. {low} or {high}"


def round_to_unit(amount: Decimal, unit: Decimal) -> Decimal:
    """`amount` rounded half-even to a multiple of `unit`."""
    return (amount / unit).to_integral_value(ROUND_HALF_EVEN) * unit


def to_units(amount: Decimal, unit: Decimal) -> int:
    """How many whole `unit`s `amount` holds, rounded half-even."""
    return int((amount / unit).to_integral_value(ROUND_HALF_EVEN))


def _integer_weights(weights: Sequence[Weight]) -> list[int]:
    """The weights scaled by one common factor to whole numbers (exact)."""
    ratios = [w.as_integer_ratio() for w in weights]
    common = math.lcm(*(d for _, d in ratios))
    if common == 1:
        return [n for n, _ in ratios]  # already whole numbers: the common case
    return [n * (common // d) for n, d in ratios]


def split_units(total: int, weights: Sequence[Weight], keys: Sequence[str]) -> list[int]:
    """Split `total` whole units by `weights` with the largest-remainder method.

    Each part is the floor of its exact share; the units left over go one each to the
    largest remainders, ties broken by the larger weight, then by the smaller key. The parts
    always sum to `total` exactly. All-zero weights split evenly. Arithmetic is on integers
    (weights scaled to a common denominator), so it is exact and fast.
    """
    if not weights:
        return []
    return split_scaled(total, _integer_weights(weights), keys)


def split_scaled(total: int, scaled: Sequence[int], keys: Sequence[str]) -> list[int]:
    """`split_units` for weights already scaled to whole numbers (reuse them across calls)."""
    scaled, weight_sum = _evened(scaled)
    parts = [total * w // weight_sum for w in scaled]
    leftover = total - sum(parts)
    if not leftover:
        return parts
    # the remainders, ranked: largest first, then the larger weight, then the smaller key
    remainders = [total * w % weight_sum for w in scaled]
    order = sorted(range(len(parts)), key=remainders.__getitem__, reverse=True)
    if leftover < len(order) and remainders[order[leftover - 1]] == remainders[order[leftover]]:
        # a tie across the cut: the weights and keys decide who gets a unit
        order = sorted(range(len(parts)), key=lambda i: (-remainders[i], -scaled[i], keys[i]))
    for i in order[:leftover]:
        parts[i] += 1
    return parts


def _evened(scaled: Sequence[int]) -> tuple[Sequence[int], int]:
    """Scaled weights and their sum; all-zero (or no) weights as 1 each: an even split."""
    weight_sum = sum(scaled)
    if weight_sum == 0:
        return [1] * len(scaled), len(scaled) or 1
    return scaled, weight_sum


def split_in_order(total: int, weights: Sequence[Weight]) -> list[int]:
    """`split_units(total, weights, keys)` for keys in ascending order (a family's children,
    listed by id): the same parts. The smaller key is then the earlier position, so the
    ranking of tied remainders needs no key: the positions sorted by the larger weight, then
    by the larger remainder, both stable (the larger weight first, then the earlier), two
    sorts by a C key instead of a sort by tuples (2.5 ms less for the 1,011 families of
    the 10k plan, many of whose weights tie)."""
    if not weights:
        return []
    scaled, weight_sum = _evened(_integer_weights(weights))
    parts = [total * w // weight_sum for w in scaled]
    leftover = total - sum(parts)
    if leftover:
        remainders = [total * w % weight_sum for w in scaled]
        order = sorted(range(len(scaled)), key=scaled.__getitem__, reverse=True)
        order.sort(key=remainders.__getitem__, reverse=True)
        for i in order[:leftover]:
            parts[i] += 1
    return parts


class Ranked(NamedTuple):
    """Weights made ready to split many totals (`split_ranked`): scaled to whole numbers
    (all-zero weights as 1 each: an even split), their sum, and the positions ranked by
    the larger weight, then the smaller key (the order in which tied remainders take a
    unit)."""

    scaled: Sequence[int]
    weight_sum: int
    order: list[int]


def ranked(weights: Sequence[Weight], keys: Sequence[str]) -> Ranked:
    """`weights` (keyed by `keys`) ranked once for `split_ranked`."""
    scaled, weight_sum = _evened(_integer_weights(weights))
    order = sorted(range(len(scaled)), key=keys.__getitem__)
    order.sort(key=scaled.__getitem__, reverse=True)  # stable: equal weights stay by key
    return Ranked(scaled, weight_sum, order)


def split_ranked(total: int, weights: Ranked) -> list[int]:
    """`split_units(total, weights, keys)` for weights ranked once (a node's periods, split
    for every distinct total): the same parts. The remainders are sorted over the ranked
    order, and a sort is stable, so ties go to the larger weight, then the smaller key,
    without `split_scaled`'s check for ties and second sort (12 -> 5 us for 12 periods
    with tied seasonality weights)."""
    scaled, weight_sum, order = weights
    parts = [total * w // weight_sum for w in scaled]
    leftover = total - sum(parts)
    if leftover:
        remainders = [total * w % weight_sum for w in scaled]
        for i in sorted(order, key=remainders.__getitem__, reverse=True)[:leftover]:
            parts[i] += 1
    return parts


def scale_weights(weights: Sequence[Weight]) -> list[int]:
    """The weights scaled by one common factor to whole numbers (exact), for `split_scaled`."""
    return _integer_weights(weights)


def split_amount(
    amount: Decimal, weights: Sequence[Weight], keys: Sequence[str], unit: Decimal
) -> list[Decimal]:
    """Split `amount` (first rounded to `unit`) into multiples of `unit` that sum to it."""
    return [p * unit for p in split_units(to_units(amount, unit), weights, keys)]


_QUANTA = [Decimal(1).scaleb(-e) for e in range(8)]


def _quantum(exponent: int) -> Decimal:
    return _QUANTA[exponent] if 0 <= exponent < 8 else Decimal(1).scaleb(-exponent)


def figure(value: Decimal, decimals: int) -> str:
    """An amount or a figure for a message, as tables show them: thousands separators; a
    whole number without decimals, any other with `decimals` (1,200,000 and 1,200.50)."""
    if value == value.to_integral_value():
        return f"{value:,.0f}"
    return f"{value.quantize(Decimal(1).scaleb(-decimals)):,}"


def fmt_amount(amount: Decimal, exponent: int) -> str:
    """The exact decimal text of an amount with `exponent` decimals (rounded half-even if it
    has more), never in exponent notation: 1250000.00, 1250000 for exponent 0."""
    return str(amount.quantize(_quantum(exponent), ROUND_HALF_EVEN))


def fmt_amounts(amounts: Iterable[Decimal], exponent: int) -> list[str]:
    """`fmt_amount` of each amount (a period list: one call, not one per amount)."""
    quantum = _quantum(exponent)
    return [str(a.quantize(quantum, ROUND_HALF_EVEN)) for a in amounts]


class AmountTexts:
    """`fmt_amount` for the many amounts of one output, each distinct amount formatted
    once: a plan's amounts repeat (the periods of reps alike, rounded totals), and a
    lookup costs a third of a format. A zero is 0.00, whatever its sign."""

    def __init__(self, exponent: int) -> None:
        self.quantum = _quantum(exponent)
        self.texts = {Decimal(0): fmt_amount(Decimal(0), exponent)}
        self.zero = self.texts[Decimal(0)]

    def __call__(self, amount: Decimal) -> str:
        text = self.texts.get(amount)
        if text is None:
            text = self.texts[amount] = str(amount.quantize(self.quantum, ROUND_HALF_EVEN))
        return text

    def fresh(self, amount: Decimal) -> str:
        """`self(amount)` for an amount met once (a new Decimal per record): formatted, not
        looked up, since a Decimal's first hash costs twice its formatting. The same text
        (a zero is the zero's)."""
        if not amount:
            return self.zero
        return str(amount.quantize(self.quantum, ROUND_HALF_EVEN))

    def optional(self, amount: Decimal | None) -> str | None:
        return None if amount is None else self(amount)

    def many(self, amounts: Iterable[Decimal]) -> list[str]:
        get = self.texts.get
        return [get(a) or self(a) for a in amounts]

"""Money: Decimal amounts, currency minor units and the largest-remainder split."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction

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


def minor_unit(currency: str) -> Decimal | None:
    """The currency's smallest unit (USD 0.01, JPY 1, KWD 0.001); None for an unknown code."""
    digits = MINOR_UNITS.get(currency)
    return None if digits is None else Decimal(1).scaleb(-digits)


def round_to_unit(amount: Decimal, unit: Decimal) -> Decimal:
    """`amount` rounded half-even to a multiple of `unit`."""
    return (amount / unit).to_integral_value(ROUND_HALF_EVEN) * unit


def to_units(amount: Decimal, unit: Decimal) -> int:
    """How many whole `unit`s `amount` holds, rounded half-even."""
    return int((amount / unit).to_integral_value(ROUND_HALF_EVEN))


def split_units(total: int, weights: Sequence[Weight], keys: Sequence[str]) -> list[int]:
    """Split `total` whole units by `weights` with the largest-remainder method.

    Each part is the floor of its exact share; the units left over go one each to the
    largest remainders, ties broken by the larger weight, then by the smaller key. The parts
    always sum to `total` exactly. All-zero weights split evenly.
    """
    if not weights:
        return []
    exact = [Fraction(w) for w in weights]
    weight_sum = sum(exact, Fraction(0))
    if weight_sum == 0:
        exact = [Fraction(1)] * len(weights)
        weight_sum = Fraction(len(weights))
    parts: list[int] = []
    remainders: list[Fraction] = []
    for w in exact:
        share = total * w / weight_sum
        whole = share.numerator // share.denominator
        parts.append(whole)
        remainders.append(share - whole)
    leftover = total - sum(parts)
    if leftover:
        order = sorted(range(len(parts)), key=lambda i: (-remainders[i], -exact[i], keys[i]))
        step = 1 if leftover > 0 else -1
        for i in order[: abs(leftover)]:
            parts[i] += step
    return parts


def split_amount(
    amount: Decimal, weights: Sequence[Weight], keys: Sequence[str], unit: Decimal
) -> list[Decimal]:
    """Split `amount` (first rounded to `unit`) into multiples of `unit` that sum to it."""
    return [p * unit for p in split_units(to_units(amount, unit), weights, keys)]


def fmt_amount(amount: Decimal, exponent: int) -> str:
    """The exact decimal text of an amount with the currency's number of decimals."""
    return str(amount.quantize(Decimal(1).scaleb(-exponent)))

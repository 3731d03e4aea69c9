"""Result records as pandas DataFrames, for notebooks (docs/design.md, "Python API").

One row per record row (node or rep), in the record's order; amounts stay exact `Decimal`s
(object columns), a per-period tuple becomes one column per period label. pandas is imported
here only, when a frame is asked for: no command that prints imports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    import pandas as pd


def rows_frame(rows: Sequence[NamedTuple], periods: Sequence[str]) -> pd.DataFrame:
    """A DataFrame of NamedTuple rows: `periods` (a tuple per period) becomes one column per
    period label; any other per-period tuple `x` becomes columns `x Q1`, `x Q2`...; a
    missing amount stays None in its object column (a missing number is not a zero), a
    missing text or ratio is pandas' missing value (`isna()`), as its column's dtype has it."""
    import pandas as pd

    frame: pd.DataFrame = pd.DataFrame.from_records([_flat(row, periods) for row in rows])
    return frame


def _flat(row: NamedTuple, periods: Sequence[str]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for name, value in zip(row._fields, row):
        if _per_period(value, periods):
            prefix = "" if name == "periods" else f"{name.removesuffix('_periods')} "
            flat.update({f"{prefix}{label}": v for label, v in zip(periods, value)})
        elif isinstance(value, tuple):
            flat[name] = list(value)
        else:
            flat[name] = value
    return flat


def _per_period(value: object, periods: Sequence[str]) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) == len(periods) > 0
        and all(v is None or isinstance(v, Decimal) for v in value)
    )

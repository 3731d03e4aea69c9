"""A neutral table, the shape every tabular result takes before a format renders it.

Cells keep their type (Money, Ratio, text), so CSV writes exact numbers while the text and
Markdown views add thousands separators and percent signs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Money:
    value: Decimal
    exponent: int = 2  # decimals to show


@dataclass(frozen=True, slots=True)
class Ratio:
    value: Decimal | None
    kind: str = "percent"  # "percent" | "coverage" | "shift" | "plain"


Cell = str | int | Money | Ratio | None


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    numeric: bool = False


@dataclass
class Table:
    title: str
    columns: list[Column]
    rows: list[list[Cell]] = field(default_factory=list)
    depth: list[int] = field(default_factory=list)  # per row, for tree indentation (text only)
    strong: list[bool] = field(default_factory=list)  # per row: a total or a unit row
    notes: list[str] = field(default_factory=list)

    def add(self, cells: list[Cell], depth: int = 0, strong: bool = False) -> None:
        self.rows.append(cells)
        self.depth.append(depth)
        self.strong.append(strong)


def quantized(money: Money) -> Decimal:
    return money.value.quantize(Decimal(1).scaleb(-money.exponent))


def show(cell: Cell) -> str:
    """A cell for people: 1,234,000.00 and 12.5%."""
    if cell is None:
        return ""
    if isinstance(cell, Money):
        return f"{quantized(cell):,}"
    if isinstance(cell, Ratio):
        if cell.value is None:
            return "–"
        if cell.kind == "plain":
            return f"{cell.value:.2f}"
        sign = "+" if cell.kind == "shift" and cell.value > 0 else ""
        return f"{sign}{cell.value * 100:.1f}%"
    return str(cell)


def raw(cell: Cell) -> str:
    """A cell for machines: exact decimals, ratios as plain numbers."""
    if cell is None:
        return ""
    if isinstance(cell, Money):
        return str(quantized(cell))
    if isinstance(cell, Ratio):
        return "" if cell.value is None else f"{cell.value:.6f}".rstrip("0").rstrip(".")
    return str(cell)

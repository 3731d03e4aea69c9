"""Pydantic models of the plan files (docs/design.md, "Plan files"): frozen, unknown keys forbidden.

Numbers arrive as Decimal from the YAML reader and are validated strictly, so a quoted
"1200" or an ambiguous `010` is reported instead of being coerced.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    WithJsonSchema,
)

from salesplan.money import MAX_AMOUNT, MAX_DECIMALS

Id = Annotated[
    str,
    StringConstraints(strict=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._@+-]*$", max_length=200),
]
Text = Annotated[str, StringConstraints(strict=True, max_length=2000)]


# Every number of a plan is bounded here, once (docs/design.md, "Hostile inputs"): at most 10^15 in size and 10
# decimals, so sums, splits and roundings stay exact in Decimal; reported as SP412.
_BOUNDS = {"le": MAX_AMOUNT, "decimal_places": MAX_DECIMALS, "allow_inf_nan": False}
Amount = Annotated[
    Decimal,
    Field(strict=True, ge=0, **_BOUNDS),
    WithJsonSchema({"type": "number", "minimum": 0}),
]
Number = Annotated[
    Decimal,
    Field(strict=True, ge=-MAX_AMOUNT, **_BOUNDS),
    WithJsonSchema({"type": "number"}),
]
Ratio = Annotated[
    Decimal,
    Field(strict=True, ge=0, **_BOUNDS),
    WithJsonSchema({"type": "number", "minimum": 0}),
]
Day = Annotated[date, WithJsonSchema({"type": "string", "format": "date"})]
# An owner is never blank: `owner: ""` would leave the unit silently without one.
OwnerName = Annotated[str, StringConstraints(strict=True, max_length=2000, pattern=r"\S")]
Owners = Annotated[
    Annotated[OwnerName, Tag("one")] | Annotated[list[OwnerName], Field(min_length=1), Tag("list")],
    Discriminator(lambda v: "list" if isinstance(v, list) else "one"),  # one error, not two
    Field(description='who approves changes below: an email, a "@github-handle", or a list'),
]
Metrics = dict[Id, Number]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


def no_items() -> list[Any]:
    """The default of a list field. Not `default_factory=list`: pydantic asks the factory's
    signature, and `list`'s is a text that `inspect` tokenizes (~3 ms a run, most of it
    compiling tokenize's patterns); a function's is read as it is."""
    return []


# ---- salesplan.yaml


# The calendar ends in 9999: a fiscal year and the months after it that a plan reads must fit.
LAST_FISCAL_START = date(9998, 1, 1)


def _first_of_month(day: date) -> date:
    if day.day != 1:
        first = day.replace(day=1).isoformat()
        raise ValueError(f"a fiscal year starts on the first day of a month, e.g. {first}")
    return day


class FiscalYear(Model):
    # Periods are whole calendar months: a start on the 15th would make each a month that
    # begins on the 1st all the same, and the year eleven and a half months long.
    start: Annotated[Day, Field(le=LAST_FISCAL_START), AfterValidator(_first_of_month)]
    periods: Literal["quarter", "month"] = "quarter"


SplitRule = Annotated[
    Id | dict[Id, Ratio],
    Field(description="even | capacity | <metric> | {<metric>: weight, ...}"),
]


class Level(Model):
    name: Id
    split: SplitRule = "even"
    over_assign: Number = Decimal(0)


class CapacityProfile(Model):
    """A role or segment's own productivity; keys it omits come from `capacity`."""

    full_quota: Amount | None = None
    attainment: Ratio | None = None
    ramp: Id | None = None


class CapacityPolicy(Model):
    full_quota: Amount | None = None
    attainment: Ratio = Decimal(1)
    ramp: dict[Id, list[Number]] = Field(default_factory=dict)
    default_ramp: Id | None = None
    attrition: Ratio = Decimal(0)
    profiles: dict[Id, CapacityProfile] = Field(default_factory=dict)


class Budget(Model):
    max_cost_of_sales: Ratio | None = None


class ReconcilePolicy(Model):
    max_shift: Ratio = Decimal("0.15")


class Files(Model):
    org: Text = "org.yaml"
    reps: Text | None = None  # reps.csv: the reps as a CSV table instead of under org.yaml
    territories: Text = "territories.yaml"  # or territories.csv
    metrics: Text = "metrics.csv"
    submissions: Text = "submissions"
    quotas: Text = "quotas.yaml"
    accounts: Text = "accounts.csv"
    distances: Text = "distances.csv"
    adjustments: Text = "adjustments.yaml"


Band = Annotated[
    Decimal,
    Field(strict=True, ge=0, lt=1, allow_inf_nan=False),
    WithJsonSchema({"type": "number", "minimum": 0, "exclusiveMaximum": 1}),
]


class BalanceSettings(Model):
    """`balance:` in salesplan.yaml: how `salesplan balance` shares accounts among reps."""

    metric: Id | None = Field(None, description="accounts.csv column to balance")
    band: Band = Field(Decimal("0.10"), description="each rep within ±band of its target")
    target: Literal["capacity", "even"] = "capacity"
    objective: Literal["disruption", "distance"] = "disruption"
    locked: list[Id] = Field(default_factory=no_items, description="accounts that keep their owner")


class PlanSettings(Model):
    """salesplan.yaml"""

    salesplan: Literal[1] = Field(description="format version")
    id: Id = "company"
    name: Text
    currency: Annotated[str, StringConstraints(strict=True, pattern=r"^[A-Z]{3}$")]
    fiscal_year: FiscalYear
    target: Amount
    seasonality: list[Number] | None = None
    rounding: Amount | None = None
    levels: Annotated[list[Level], Field(min_length=1)]
    capacity: CapacityPolicy = CapacityPolicy()
    budget: Budget = Budget()
    reconcile: ReconcilePolicy = ReconcilePolicy()
    files: Files = Files()
    owner: Owners | None = None
    balance: BalanceSettings = BalanceSettings()


# ---- org.yaml


class Unit(Model):
    id: Id
    name: Text | None = None
    level: Id
    parent: Id | None = None
    owner: Owners | None = None
    quota: Amount | None = None
    metrics: Metrics = Field(default_factory=dict)


class Ote(Model):
    base: Amount = Decimal(0)
    variable: Amount = Decimal(0)

    @property
    def total(self) -> Decimal:
        return self.base + self.variable


Latitude = Annotated[
    Decimal,
    Field(strict=True, ge=-90, le=90, allow_inf_nan=False),
    WithJsonSchema({"type": "number", "minimum": -90, "maximum": 90}),
]
Longitude = Annotated[
    Decimal,
    Field(strict=True, ge=-180, le=180, allow_inf_nan=False),
    WithJsonSchema({"type": "number", "minimum": -180, "maximum": 180}),
]


class Base(Model):
    """Where a rep works from, for distances to accounts (`balance`)."""

    lat: Latitude
    lon: Longitude


class Rep(Model):
    id: Id
    name: Text | None = None
    email: Text | None = None
    parent: Id | None = None
    start: Day | None = None
    end: Day | None = None
    status: Literal["active", "planned"] = "active"
    ramp: Id | None = None
    profile: Id | None = None
    ote: Ote | None = None
    quota: Amount | None = None
    metrics: Metrics = Field(default_factory=dict)
    base: Base | None = None


class Org(Model):
    """org.yaml"""

    units: list[Unit] = Field(default_factory=no_items)
    reps: list[Rep] = Field(default_factory=no_items)


# ---- territories.yaml


class Territory(Model):
    id: Id
    name: Text | None = None
    owner: Id | None = None
    segment: Text | None = None
    geo: list[Text] = Field(default_factory=no_items)
    accounts: list[Id] = Field(default_factory=no_items)
    metrics: Metrics = Field(default_factory=dict)


class Territories(Model):
    """territories.yaml"""

    territories: list[Territory] = Field(default_factory=no_items)


# ---- submissions/<rep>.yaml


class Submission(Model):
    """submissions/<rep>.yaml"""

    rep: Id
    forecast: dict[Text, Number]
    note: Text | None = None


# ---- quotas.yaml (generated)


class QuotaNode(Model):
    id: Id
    level: Id
    parent: Id | None = None
    total: Amount
    periods: list[Amount]
    pinned: bool = False


class Quotas(Model):
    """quotas.yaml, written by `salesplan allocate --write`"""

    inputs: Annotated[str, StringConstraints(strict=True, pattern=r"^sha256:[0-9a-f]{64}$")]
    content: Annotated[
        str | None, StringConstraints(strict=True, pattern=r"^sha256:[0-9a-f]{64}$")
    ] = None
    currency: Text
    periods: list[Text]
    nodes: list[QuotaNode]


# ---- adjustments.yaml (accepted changes)


class AdjustmentPin(Model):
    id: Id
    quota: Amount
    reason: Text | None = None


class Adjustments(Model):
    """adjustments.yaml, written by `salesplan reconcile --accept` or by hand"""

    pins: list[AdjustmentPin] = Field(default_factory=no_items)


class ScenarioFile(Model):
    """scenarios/NAME.yaml: a what-if as changes per plan file (the loader checks it in
    scenarios.py, at its lines; this model gives editors its JSON Schema)."""

    scenario: Id | None = None
    description: Text | None = None
    changes: dict[str, dict[str, Any] | None] | None = Field(
        default=None, description="plan file name -> its changes (salesplan.yaml, org.yaml, ...)"
    )


SCHEMAS: dict[str, type[Model]] = {
    "plan": PlanSettings,
    "org": Org,
    "territories": Territories,
    "submission": Submission,
    "quotas": Quotas,
    "scenario": ScenarioFile,
}

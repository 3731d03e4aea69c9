"""`import.yaml`: how a plan reads its CRM's exports (docs/design.md).

```yaml
preset: salesforce                # salesforce | hubspot | dynamics | generic; default: detected
source: crm                       # writes submissions/<source>.csv; default the preset's name
columns: {owner: Sales Agent, amount: close_value}   # field -> header, over the preset's
stages:                           # stage -> won | lost | open | {status, category}
  Won: won
  Engaging: {status: open, category: best_case}
categories: {Upside: best_case}   # forecast-category value -> commit | best_case | pipeline | omitted
owners: {Jon Smith: jsmith, Sales Ops: null}  # CRM owner -> rep id; null: not a rep, left out
currency: EUR                     # of rows that name none; default the plan's
rates: {EUR: 1.08}                # 1 EUR = 1.08 in the plan's currency
history: {start: 2026-01-01, end: 2026-12-31}   # won deals closed in it; default the year before
weights: {commit: 1, best_case: 0.5, pipeline: 0.2, omitted: 0}
numbers: {decimal: ",", thousands: "."}   # default: `;`-separated files write 1.200,50
dates: dmy                        # dmy | mdy | ymd; default: what the values make unambiguous
```
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from salesplan.diagnostics import Diagnostic
from salesplan.importing.presets import CATEGORIES, OpportunityField, Preset, Stage, fold
from salesplan.model import Day, Id, Model, Ratio, Text

Category = Literal["commit", "best_case", "pipeline", "omitted"]
Status = Literal["won", "lost", "open"]
Currency = Annotated[str, StringConstraints(strict=True, pattern=r"^[A-Z]{3}$")]

DEFAULT_WEIGHTS: dict[str, Decimal] = {
    "commit": Decimal(1),
    "best_case": Decimal("0.5"),
    "pipeline": Decimal("0.2"),
    "omitted": Decimal(0),
}


class StageRule(Model):
    status: Status
    category: Category | None = None


class Window(Model):
    start: Day
    end: Day  # inclusive


class Numbers(Model):
    decimal: Literal[".", ","] = "."
    thousands: Literal[",", ".", " ", "'", ""] = ","


class Weights(Model):
    commit: Annotated[Ratio, Field(le=1)] = DEFAULT_WEIGHTS["commit"]
    best_case: Annotated[Ratio, Field(le=1)] = DEFAULT_WEIGHTS["best_case"]
    pipeline: Annotated[Ratio, Field(le=1)] = DEFAULT_WEIGHTS["pipeline"]
    omitted: Annotated[Ratio, Field(le=1)] = DEFAULT_WEIGHTS["omitted"]


# The name of submissions/<source>.csv, from import.yaml or --source.
SOURCE_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"


class ImportConfig(Model):
    """import.yaml"""

    preset: Literal["salesforce", "hubspot", "dynamics", "generic"] | None = None
    source: Annotated[str, StringConstraints(strict=True, pattern=SOURCE_PATTERN)] | None = None
    columns: dict[OpportunityField, Text] = Field(default_factory=dict)
    stages: dict[Text, Status | StageRule] = Field(default_factory=dict)
    categories: dict[Text, Category] = Field(default_factory=dict)
    owners: dict[Text, Id | None] = Field(default_factory=dict)
    currency: Currency | None = None
    rates: dict[Currency, Annotated[Decimal, Field(strict=True, gt=0, allow_inf_nan=False)]] = (
        Field(default_factory=dict)
    )
    history: Window | None = None
    weights: Weights = Weights()
    numbers: Numbers | None = None
    dates: Literal["dmy", "mdy", "ymd"] | None = None


MAPPING_FILE = "import.yaml"


def load_config(path: Path | None, problems: list[Diagnostic]) -> ImportConfig | None:
    """The mapping file read safely (positions for every problem); defaults when absent,
    None when it has errors."""
    from salesplan.loading import read_yaml_file
    from salesplan.validation import validate

    if path is None or not path.exists():
        return ImportConfig()
    before = len(problems)
    doc = read_yaml_file(path, problems)
    if len(problems) > before:
        return None
    if doc.data is None:
        return ImportConfig()
    return validate(doc, ImportConfig, problems)


def with_mapping(preset: Preset, config: ImportConfig) -> Preset:
    """The preset with import.yaml's columns, stages and categories laid over it."""
    columns: dict[str, tuple[str, ...]] = dict(preset.opportunities)
    for field_name, header in config.columns.items():
        columns[field_name] = (header,)
    stages = dict(preset.stages)
    for stage_name, rule in config.stages.items():
        stages[fold(stage_name)] = (
            Stage(rule) if isinstance(rule, str) else Stage(rule.status, rule.category)
        )
    categories = dict(preset.categories)
    categories.update({fold(k): v for k, v in config.categories.items()})
    categories.update({fold(c): c for c in CATEGORIES})
    categories.update({fold(c.replace("_", " ")): c for c in CATEGORIES})
    return replace(preset, opportunities=columns, stages=stages, categories=categories)


def history_window(config: ImportConfig, fiscal_start: date) -> tuple[date, date]:
    """The close dates whose won deals make the history: import.yaml's, else the fiscal
    year before the plan's (start and end inclusive)."""
    if config.history is not None:
        return config.history.start, config.history.end
    from datetime import timedelta

    previous = _add_years(fiscal_start, -1)
    return previous, fiscal_start - timedelta(days=1)


def fiscal_window(fiscal_start: date) -> tuple[date, date]:
    from datetime import timedelta

    return fiscal_start, _add_years(fiscal_start, 1) - timedelta(days=1)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)

"""Random valid plans for property tests (hypothesis).

`plans()` draws a small plan repository as `{relative path: file text}`: salesplan.yaml,
org.yaml, metrics.csv and sometimes territories.yaml. `plan_specs()` draws the same plans as
`PlanSpec` values, whose `files(rng)` can also write the entries of every list in a shuffled
order (the plan stays the same plan). `materialise(files, folder)` writes them to disk.

What a drawn plan always is: it loads with no diagnostic at all. Levels are region -> team ->
rep (1-3 regions, 1-3 teams each, 1-5 reps each); each level splits by `even`, `history`,
`potential`, a blend of the two or `capacity`, with over_assign in [0, 0.3]; seasonality is
absent or one positive weight per period (quarters or months); the currency is USD, JPY or
KWD, with `rounding` absent or a multiple of its minor unit. Reps start before the fiscal year,
in its first half, or have no start date; some leave in the second half. Ramps are
non-decreasing with at most three leading zeros, so every rep has some capacity (no SP417).
Every rep has positive history and potential (from metrics.csv, org.yaml or territories), so
no split meets all-zero weights. Pins (0-2) are at most 30% of what the node gets without
them, never nested and never covering a whole family, so they stay well below their pool.
"""

from __future__ import annotations

import random
import tempfile
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from hypothesis import strategies as st

CURRENCIES = {"USD": 2, "JPY": 0, "KWD": 3}
SPLITS = ("even", "history", "potential", "blend", "capacity")
REP_NAMES = (
    "ada", "bo", "cy", "dee", "eli", "fay", "gus", "hal", "ivy", "jo", "kai", "lu", "max",
    "ned", "oz", "pia", "quin", "rae", "sol", "tia", "uma", "vic", "wes", "xia", "yan", "zed",
)  # fmt: skip


@dataclass(frozen=True)
class UnitSpec:
    id: str
    level: str
    parent: str | None
    metrics: dict[str, int] | None = None  # explicit metrics (else the sum of the children)
    metrics_in_csv: bool = True
    quota: Decimal | None = None


@dataclass(frozen=True)
class RepSpec:
    id: str
    parent: str
    start: date | None
    end: date | None = None
    status: str = "active"
    ramp: str | None = None
    ote: tuple[int, int] | None = None
    history: int = 0
    potential: int = 0
    history_in: str = "csv"  # csv | org
    potential_in: str = "csv"  # csv | org | territories
    quota: Decimal | None = None


@dataclass(frozen=True)
class TerritorySpec:
    id: str
    owner: str
    potential: int
    in_csv: bool


@dataclass(frozen=True)
class PlanSpec:
    currency: str
    fy_start: date
    periods: str  # quarter | month
    target: str  # as written in salesplan.yaml
    levels: tuple[tuple[str, str, str], ...]  # (name, split as YAML, over_assign text)
    units: tuple[UnitSpec, ...]
    reps: tuple[RepSpec, ...]
    root_id: str | None = None
    seasonality: tuple[int, ...] | None = None
    rounding: str | None = None
    full_quota: int = 1_200_000
    attainment: str = "1"
    attrition: str = "0"
    ramps: dict[str, tuple[str, ...]] = field(default_factory=dict)
    default_ramp: str | None = None
    territories: tuple[TerritorySpec, ...] | None = None

    @property
    def unit(self) -> Decimal:
        """The rounding unit of quotas in this plan."""
        if self.rounding is not None:
            return Decimal(self.rounding)
        return Decimal(1).scaleb(-CURRENCIES[self.currency])

    def with_pins(self, pins: dict[str, Decimal]) -> PlanSpec:
        units = tuple(replace(u, quota=pins.get(u.id, u.quota)) for u in self.units)
        reps = tuple(replace(r, quota=pins.get(r.id, r.quota)) for r in self.reps)
        return replace(self, units=units, reps=reps)

    def files(self, rng: random.Random | None = None) -> dict[str, str]:
        """The plan's files; with `rng`, every list (units, reps, territories, metrics rows)
        is written in a shuffled order."""

        def order(items: list) -> list:
            items = list(items)
            if rng is not None:
                rng.shuffle(items)
            return items

        files = {
            "salesplan.yaml": self._settings_yaml(),
            "org.yaml": self._org_yaml(order),
            "metrics.csv": self._metrics_csv(order),
        }
        if self.territories is not None:
            files["territories.yaml"] = self._territories_yaml(order)
        return files

    def _settings_yaml(self) -> str:
        lines = ["salesplan: 1"]
        if self.root_id is not None:
            lines.append(f"id: {self.root_id}")
        lines += [
            "name: Generated plan",
            f"currency: {self.currency}",
            f"fiscal_year: {{start: {self.fy_start.isoformat()}, periods: {self.periods}}}",
            f"target: {self.target}",
        ]
        if self.seasonality is not None:
            lines.append(f"seasonality: [{', '.join(map(str, self.seasonality))}]")
        if self.rounding is not None:
            lines.append(f"rounding: {self.rounding}")
        lines.append("levels:")
        for name, split, over in self.levels:
            lines.append(f"  - {{name: {name}, split: {split}, over_assign: {over}}}")
        lines += [
            "capacity:",
            f"  full_quota: {self.full_quota}",
            f"  attainment: {self.attainment}",
            f"  attrition: {self.attrition}",
        ]
        if self.ramps:
            ramps = ", ".join(f"{k}: [{', '.join(v)}]" for k, v in self.ramps.items())
            lines.append(f"  ramp: {{{ramps}}}")
        if self.default_ramp is not None:
            lines.append(f"  default_ramp: {self.default_ramp}")
        return "\n".join(lines) + "\n"

    def _org_yaml(self, order) -> str:
        lines = ["units:"]
        for u in order(self.units):
            parts = [f"id: {u.id}", f"level: {u.level}"]
            if u.parent is not None:
                parts.append(f"parent: {u.parent}")
            if u.metrics is not None and not u.metrics_in_csv:
                parts.append(
                    "metrics: {" + ", ".join(f"{k}: {v}" for k, v in u.metrics.items()) + "}"
                )
            if u.quota is not None:
                parts.append(f"quota: {u.quota:f}")
            lines.append("  - {" + ", ".join(parts) + "}")
        lines.append("reps:")
        for r in order(self.reps):
            lines += [f"  - id: {r.id}", f"    parent: {r.parent}"]
            if r.start is not None:
                lines.append(f"    start: {r.start.isoformat()}")
            if r.end is not None:
                lines.append(f"    end: {r.end.isoformat()}")
            if r.status != "active":
                lines.append(f"    status: {r.status}")
            if r.ramp is not None:
                lines.append(f"    ramp: {r.ramp}")
            if r.ote is not None:
                lines.append(f"    ote: {{base: {r.ote[0]}, variable: {r.ote[1]}}}")
            inline = {}
            if r.history_in == "org":
                inline["history"] = r.history
            if r.potential_in == "org":
                inline["potential"] = r.potential
            if inline:
                lines.append(
                    "    metrics: {" + ", ".join(f"{k}: {v}" for k, v in inline.items()) + "}"
                )
            if r.quota is not None:
                lines.append(f"    quota: {r.quota:f}")
        return "\n".join(lines) + "\n"

    def _metrics_csv(self, order) -> str:
        rows: list[tuple[str, str, str]] = []
        for u in self.units:
            if u.metrics is not None and u.metrics_in_csv:
                rows.append((u.id, str(u.metrics["history"]), str(u.metrics["potential"])))
        for r in self.reps:
            history = str(r.history) if r.history_in == "csv" else ""
            potential = str(r.potential) if r.potential_in == "csv" else ""
            if history or potential:
                rows.append((r.id, history, potential))
        for t in self.territories or ():
            if t.in_csv:
                rows.append((t.id, "", str(t.potential)))
        return "id,history,potential\n" + "".join(f"{','.join(row)}\n" for row in order(rows))

    def _territories_yaml(self, order) -> str:
        lines = ["territories:"]
        for t in order(self.territories or ()):
            lines += [
                f"  - id: {t.id}",
                f"    owner: {t.owner}",
                f"    accounts: [{t.id}-a1, {t.id}-a2]",
            ]
            if not t.in_csv:
                lines.append(f"    metrics: {{potential: {t.potential}}}")
        return "\n".join(lines) + "\n"


def materialise(files: dict[str, str], folder: Path | str) -> Path:
    """Write `files` ({relative path: text}) under `folder`; returns the folder."""
    root = Path(folder)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


# ---- strategies


def _month_start(fy_start: date, offset: int) -> date:
    total = fy_start.month - 1 + offset
    return date(fy_start.year + total // 12, total % 12 + 1, 1)


@st.composite
def _split(draw) -> str:
    kind = draw(st.sampled_from(SPLITS))
    if kind != "blend":
        return kind
    history, potential = draw(
        st.sampled_from([("0.6", "0.4"), ("1", "1"), ("3", "1"), ("0.25", "0.5")])
    )
    return f"{{history: {history}, potential: {potential}}}"


@st.composite
def _ramps(draw) -> dict[str, tuple[str, ...]]:
    steps = ("0", "0.25", "0.5", "0.75", "1")
    length = draw(st.integers(0, 6))
    indices = sorted(draw(st.lists(st.integers(0, 4), min_size=length, max_size=length)))
    zeros = 0
    values = []
    for i in indices:  # at most three leading zeros, so every rep has some capacity
        if i == 0:
            zeros += 1
            if zeros > 3:
                i = 1
        values.append(steps[i])
    return {"standard": tuple(sorted(values, key=Decimal)), "fast": ("0.5",)}


@st.composite
def _rep(draw, rep_id: str, parent: str, fy_start: date, ramps: bool, territories: bool) -> RepSpec:
    when = draw(st.sampled_from(["none", "before", "before", "in"]))
    start: date | None = None
    first_month = 0
    status = "active"
    if when == "before":
        start = fy_start - timedelta(days=draw(st.integers(1, 3000)))
    elif when == "in":
        first_month = draw(st.integers(0, 5))
        start = _month_start(fy_start, first_month) + timedelta(days=draw(st.integers(0, 27)))
        status = draw(st.sampled_from(["active", "planned"]))
    end = None
    if draw(st.integers(0, 4)) == 0:  # leaves in the second half, after 5+ months on board
        end_month = draw(st.integers(first_month + 5, 11))
        end = _month_start(fy_start, end_month) + timedelta(days=draw(st.integers(0, 27)))
    ramp = draw(st.sampled_from([None, None, "fast", "standard"])) if ramps else None
    ote = None
    if draw(st.booleans()):
        ote = (draw(st.integers(50, 150)) * 1000, draw(st.integers(30, 150)) * 1000)
    sources = ["csv", "org", "territories"] if territories else ["csv", "org"]
    return RepSpec(
        rep_id,
        parent,
        start,
        end,
        status,
        ramp,
        ote,
        history=draw(st.integers(10_000, 3_000_000)),
        potential=draw(st.integers(10_000, 5_000_000)),
        history_in=draw(st.sampled_from(["csv", "csv", "org"])),
        potential_in=draw(st.sampled_from(sources)),
    )


def _target(draw, currency: str) -> str:
    whole = draw(st.integers(100_000, 50_000_000))
    digits = CURRENCIES[currency]
    text = f"{whole:_}" if draw(st.booleans()) else str(whole)
    if digits and draw(st.booleans()):
        text += "." + "".join(str(draw(st.integers(0, 9))) for _ in range(digits))
    return text


@st.composite
def _base_spec(draw) -> PlanSpec:
    currency = draw(st.sampled_from(sorted(CURRENCIES)))
    minor = Decimal(1).scaleb(-CURRENCIES[currency])
    rounding = draw(st.sampled_from([None, None, str(minor), "1", "100", "1000"]))
    fy_start = date(draw(st.integers(2026, 2028)), draw(st.integers(1, 12)), 1)
    periods = draw(st.sampled_from(["quarter", "month"]))
    seasonality = None
    if draw(st.booleans()):
        count = 4 if periods == "quarter" else 12
        seasonality = tuple(draw(st.lists(st.integers(1, 9), min_size=count, max_size=count)))
    levels = tuple(
        (name, draw(_split()), str(Decimal(draw(st.integers(0, 300))) / 1000))
        for name in ("region", "team", "rep")
    )
    use_ramps = draw(st.booleans())
    ramps = draw(_ramps()) if use_ramps else {}
    use_territories = draw(st.integers(0, 2)) == 0
    names = list(REP_NAMES)
    random.Random(draw(st.integers(0, 2**16))).shuffle(names)
    units: list[UnitSpec] = []
    reps: list[RepSpec] = []
    for r in range(draw(st.integers(1, 3))):
        region = f"r{r + 1}"
        units.append(_unit(draw, region, "region", None))
        for t in range(draw(st.integers(1, 3))):
            team = f"{region}-t{t + 1}"
            units.append(_unit(draw, team, "team", region))
            for _ in range(draw(st.integers(1, 5))):
                rep_id = f"{names[len(reps) % len(names)]}{len(reps) // len(names) or ''}"
                reps.append(draw(_rep(rep_id, team, fy_start, use_ramps, use_territories)))
    territories = None
    if use_territories:
        territories = []
        for rep in reps:
            share = rep.potential // draw(st.integers(1, 2))
            pieces = [share, rep.potential - share] if share != rep.potential else [share]
            for i, amount in enumerate(pieces):
                territories.append(
                    TerritorySpec(f"tr-{rep.id}-{i + 1}", rep.id, amount, draw(st.booleans()))
                )
        territories = tuple(territories)
    return PlanSpec(
        currency=currency,
        fy_start=fy_start,
        periods=periods,
        target=_target(draw, currency),
        levels=levels,
        units=tuple(units),
        reps=tuple(reps),
        root_id=draw(st.sampled_from([None, "acme", "globex"])),
        seasonality=seasonality,
        rounding=rounding,
        full_quota=draw(st.integers(5, 30)) * 100_000,
        attainment=draw(st.sampled_from(["1", "0.9", "0.75"])),
        attrition=draw(st.sampled_from(["0", "0", "0.1", "0.25"])),
        ramps=ramps,
        default_ramp=draw(st.sampled_from([None, "standard"])) if use_ramps else None,
        territories=territories,
    )


def _unit(draw, unit_id: str, level: str, parent: str | None) -> UnitSpec:
    if draw(st.integers(0, 4)):
        return UnitSpec(unit_id, level, parent)
    metrics = {
        "history": draw(st.integers(100_000, 10_000_000)),
        "potential": draw(st.integers(100_000, 10_000_000)),
    }
    return UnitSpec(unit_id, level, parent, metrics, draw(st.booleans()))


def allocated_totals(spec: PlanSpec) -> dict[str, Decimal]:
    """Every node's total as salesplan allocates the plan (used to size safe pins)."""
    from salesplan import load_plan

    with tempfile.TemporaryDirectory() as folder:
        loaded = load_plan(materialise(spec.files(), folder))
        assert loaded.plan is not None and not loaded.diagnostics, loaded.diagnostics
        return {n.id: n.total for n in loaded.plan.allocation.nodes}


@st.composite
def _pins(draw, spec: PlanSpec) -> dict[str, Decimal]:
    count = draw(st.integers(0, 2))
    if count == 0:
        return {}
    parent_of = {u.id: u.parent or "<root>" for u in spec.units}
    parent_of.update({r.id: r.parent for r in spec.reps})
    family: dict[str, list[str]] = {}
    for node, parent in parent_of.items():
        family.setdefault(parent, []).append(node)

    def ancestors(node: str) -> set[str]:
        found = set()
        while node in parent_of:
            node = parent_of[node]
            found.add(node)
        return found

    totals = allocated_totals(spec)
    unit = spec.unit
    pins: dict[str, Decimal] = {}
    for _ in range(count):
        node = draw(st.sampled_from(sorted(parent_of)))
        siblings = family[parent_of[node]]
        nested = any(node in ancestors(p) or p in ancestors(node) for p in pins)
        free = [s for s in siblings if s not in pins and s != node]
        if node in pins or nested or not free:
            continue
        fraction = Decimal(draw(st.integers(0, 30))) / 100
        units = int(totals[node] * fraction / unit)
        if units * 3 < 10:  # keep pins where a few units of rounding cannot matter
            continue
        pins[node] = units * unit
    return pins


@st.composite
def plan_specs(draw, pins: bool = True) -> PlanSpec:
    """A random valid plan, as a `PlanSpec` (see the module docstring)."""
    spec = draw(_base_spec())
    if pins:
        spec = spec.with_pins(draw(_pins(spec)))
    return spec


def plans(pins: bool = True) -> st.SearchStrategy[dict[str, str]]:
    """A random valid plan as `{relative path: file text}`."""
    return plan_specs(pins=pins).map(lambda spec: spec.files())

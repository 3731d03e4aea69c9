"""Hypothesis strategies: small random valid plans, written as real plan folders.

`plan_specs()` draws a `PlanSpec` (1-3 regions, 1-3 teams each, 1-5 reps each, random
splits, metrics, pins, start and end dates and submissions); `write_plan(spec, folder, fmt)` writes it
with the submissions as per-rep YAML, one CSV, one XLSX, or a mix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st

QUARTERS = ("Q1", "Q2", "Q3", "Q4")
MONTHS = tuple(f"M{m:02d}" for m in range(1, 13))
STARTS = (None, "2019-05-01", "2027-01-15", "2027-06-15", "2027-11-01", "2028-03-01")
# last working days: before the year, mid-month, a month's last day, after the year
ENDS = (None, None, None, "2026-12-31", "2027-05-17", "2027-09-30", "2028-06-30")


@dataclass
class RepSpec:
    id: str
    parent: str
    status: str
    start: str | None
    end: str | None
    history: int
    potential: int
    pin: int | None
    forecast: dict[str, int] | None  # None: no submission
    fmt: str  # yaml | csv, for the mixed layout


@dataclass
class PlanSpec:
    periods: str
    target: int
    rounding: str | None
    max_shift: str
    splits: tuple[str, str, str]
    over_assign: tuple[str, str]
    capacity: bool
    regions: list[str]
    teams: list[tuple[str, str]]  # (id, region)
    reps: list[RepSpec] = field(default_factory=list)
    stray_rows: bool = False  # CSV rows for an unknown rep, an unknown period, a negative amount

    @property
    def labels(self) -> tuple[str, ...]:
        return QUARTERS if self.periods == "quarter" else MONTHS


@st.composite
def plan_specs(draw: st.DrawFn) -> PlanSpec:
    periods = draw(st.sampled_from(["quarter", "month"]))
    labels = QUARTERS if periods == "quarter" else MONTHS
    spec = PlanSpec(
        periods=periods,
        target=draw(st.integers(300_000, 5_000_000)),
        rounding=draw(st.sampled_from([None, "1", "1000"])),
        max_shift=draw(st.sampled_from(["0", "0.05", "0.15", "0.5", "0.95"])),
        splits=(
            draw(st.sampled_from(["even", "history"])),
            draw(st.sampled_from(["even", "potential", "{history: 0.6, potential: 0.4}"])),
            draw(st.sampled_from(["even", "history", "capacity"])),
        ),
        over_assign=(
            draw(st.sampled_from(["0", "0.05", "0.1"])),
            draw(st.sampled_from(["0", "0.1", "0.25"])),
        ),
        capacity=draw(st.booleans()),
        regions=[],
        teams=[],
        stray_rows=draw(st.booleans()),
    )
    amount = st.one_of(st.just(0), st.integers(0, 1_000_000))
    for r in range(draw(st.integers(1, 3))):
        region = f"r{r}"
        spec.regions.append(region)
        for t in range(draw(st.integers(1, 3))):
            team = f"{region}t{t}"
            spec.teams.append((team, region))
            for k in range(draw(st.integers(1, 5))):
                status = draw(st.sampled_from(["active", "active", "planned"]))
                start = draw(st.sampled_from(STARTS))
                if status == "planned" and start is None:
                    start = "2027-06-15"
                end = draw(st.sampled_from(ENDS))
                if end is not None and start is not None and end < start:
                    end = None
                submits = draw(st.sampled_from([True, True, False]))
                forecast = (
                    {p: draw(amount) for p in draw(st.sets(st.sampled_from(labels), min_size=1))}
                    if submits
                    else None
                )
                spec.reps.append(
                    RepSpec(
                        id=f"{team}p{k}",
                        parent=team,
                        status=status,
                        start=start,
                        end=end,
                        history=draw(st.integers(0, 2_000_000)),
                        potential=draw(st.integers(0, 5_000_000)),
                        pin=draw(st.sampled_from([None] * 8 + [0, 20_000, 50_000]))
                        if _on_board(start, end)
                        else None,  # a pin on a rep never on board is an error (SP421)
                        forecast=forecast,
                        fmt=draw(st.sampled_from(["yaml", "csv"])),
                    )
                )
    return spec


def _on_board(start: str | None, end: str | None) -> bool:
    """A day on board in the fiscal year 2027-02-01 .. 2028-01-31 (ISO dates compare as text)."""
    return (start is None or start < "2028-02-01") and (end is None or end >= "2027-02-01")


def _plan_yaml(spec: PlanSpec) -> str:
    region, team, rep = spec.splits
    team_over, rep_over = spec.over_assign
    lines = [
        "salesplan: 1",
        "id: acme",
        "name: Generated",
        "currency: USD",
        f"fiscal_year: {{start: 2027-02-01, periods: {spec.periods}}}",
        f"target: {spec.target}",
        "levels:",
        f"  - {{name: region, split: {region}}}",
        f"  - {{name: team, split: {team}, over_assign: {team_over}}}",
        f"  - {{name: rep, split: {rep}, over_assign: {rep_over}}}",
        f"reconcile: {{max_shift: {spec.max_shift}}}",
    ]
    if spec.rounding is not None:
        lines.append(f"rounding: {spec.rounding}")
    if spec.capacity:
        lines.append("capacity: {full_quota: 900_000, ramp: {std: [0.5]}, default_ramp: std}")
    return "\n".join(lines) + "\n"


def _org_yaml(spec: PlanSpec) -> str:
    lines = ["units:"]
    lines += [f"  - {{id: {r}, level: region}}" for r in spec.regions]
    lines += [f"  - {{id: {t}, level: team, parent: {r}}}" for t, r in spec.teams]
    lines.append("reps:")
    for rep in spec.reps:
        fields = [f"id: {rep.id}", f"parent: {rep.parent}", f"status: {rep.status}"]
        if rep.start is not None:
            fields.append(f"start: {rep.start}")
        if rep.end is not None:
            fields.append(f"end: {rep.end}")
        if rep.pin is not None:
            fields.append(f"quota: {rep.pin}")
        fields.append(f"metrics: {{history: {rep.history}, potential: {rep.potential}}}")
        lines.append(f"  - {{{', '.join(fields)}}}")
    return "\n".join(lines) + "\n"


def _rows(spec: PlanSpec, reps: list[RepSpec]) -> list[tuple[str, str, int]]:
    rows = []
    for rep in reps:
        assert rep.forecast is not None
        rows += [(rep.id, period, amount) for period, amount in rep.forecast.items()]
    return rows


def _stray_rows(spec: PlanSpec) -> list[tuple[str, str, int]]:
    some_rep = spec.reps[0].id
    return [("ghost", spec.labels[0], 1000), (some_rep, "Q9", 1000), (some_rep, spec.labels[0], -5)]


def write_plan(spec: PlanSpec, folder: Path, fmt: str = "mixed") -> Path:
    """Write the plan; `fmt` is mixed (each rep's own choice), yaml, csv or xlsx."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "salesplan.yaml").write_text(_plan_yaml(spec), encoding="utf-8")
    (folder / "org.yaml").write_text(_org_yaml(spec), encoding="utf-8")
    subs = folder / "submissions"
    subs.mkdir(exist_ok=True)
    submitting = [r for r in spec.reps if r.forecast is not None]
    as_yaml = [r for r in submitting if fmt == "yaml" or (fmt == "mixed" and r.fmt == "yaml")]
    as_table = [r for r in submitting if r not in as_yaml]
    for rep in as_yaml:
        assert rep.forecast is not None
        forecast = ", ".join(f"{p}: {a}" for p, a in rep.forecast.items())
        (subs / f"{rep.id}.yaml").write_text(f"rep: {rep.id}\nforecast: {{{forecast}}}\n")
    rows = _rows(spec, as_table)
    if spec.stray_rows:
        rows += _stray_rows(spec)
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.append(["rep", "period", "amount"])
        for row in rows:
            sheet.append(list(row))
        book.save(subs / "all.xlsx")
    elif rows:
        text = "rep,period,amount\n" + "".join(f"{r},{p},{a}\n" for r, p, a in rows)
        (subs / "all.csv").write_text(text, encoding="utf-8")
    return folder

"""Generate a large, valid salesplan plan repository for benchmarking.

Usage::

    python benchmarks/generate.py --reps 10000 --out benchmarks/out/plan-10000-s7 [--seed 7]
    python benchmarks/generate.py --reps 10000 --broken 1 --out benchmarks/out/broken-10000-s7

Writes the files of docs/design.md, "Plan files": ``salesplan.yaml`` (monthly periods), ``org.yaml`` (10 regions,
reps/10 teams, 10 reps per team), ``territories.yaml`` (one territory per rep),
``metrics.csv`` (``id,history`` per non-planned rep) and ``submissions/forecast.csv``
(``rep,period,amount,note``, 12 monthly rows per non-planned rep).

``--broken 1`` breaks 1% of the submission rows and 1% of the reps (mistyped ids, bad
amounts, unknown periods and ramps, ends before starts): the error path of docs/design.md, "Performance budgets".

Stdlib only. The output is a pure function of ``--reps`` and ``--seed``: the same arguments
always give byte-identical files. Every file is built as one string and written once, so even
``--reps 100000`` takes a few seconds.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from datetime import date
from pathlib import Path
from random import Random
from typing import NamedTuple

FY_START = date(2027, 2, 1)
SEASONALITY = (6, 7, 8, 7, 8, 9, 7, 8, 9, 8, 9, 14)
RAMP = (0.25, 0.5, 0.75)
PERIODS = tuple(f"M{m:02d}" for m in range(1, 13))
SEGMENTS = ("enterprise", "mid-market", "commercial", "strategic")

# (id, display name, ISO 3166-2 codes the region's territories are drawn from)
REGIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("amer-west", "AMER West", ("US-CA", "US-OR", "US-WA", "US-NV", "US-AZ", "US-UT")),
    ("amer-east", "AMER East", ("US-NY", "US-MA", "US-NJ", "US-PA", "US-VA", "US-FL")),
    ("amer-central", "AMER Central", ("US-TX", "US-IL", "US-CO", "US-MN", "US-OH", "US-MO")),
    ("canada", "Canada", ("CA-ON", "CA-QC", "CA-BC", "CA-AB", "CA-MB")),
    ("latam", "LATAM", ("BR-SP", "BR-RJ", "MX-CMX", "AR-C", "CL-RM", "CO-DC")),
    ("emea-north", "EMEA North", ("GB-LND", "GB-MAN", "SE-AB", "NO-03", "DK-84", "FI-18")),
    ("emea-central", "EMEA Central", ("DE-BY", "DE-BE", "DE-HH", "NL-NH", "CH-ZH", "AT-9")),
    ("emea-south", "EMEA South", ("FR-IDF", "FR-ARA", "ES-MD", "ES-CT", "IT-MI", "PT-11")),
    ("apac-north", "APAC North", ("JP-13", "JP-27", "KR-11", "TW-TPE", "HK-HCW")),
    ("apac-south", "APAC South", ("AU-NSW", "AU-VIC", "SG-01", "IN-MH", "IN-KA", "NZ-AUK")),
)

FIRST_NAMES = (
    "Ana", "Ben", "Chloé", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas",
    "Kemi", "Liam", "Maria", "Nikhil", "Olga", "Pedro", "Quinn", "Rosa", "Sam", "Tariq",
    "Uma", "Victor", "Wen", "Ximena", "Yusuf", "Zoë", "Aisha", "Bruno", "Carmen", "David",
    "Emma", "Felix", "Greta", "Hassan", "Ivy", "José", "Kai", "Lena", "Mateo", "Nora",
)  # fmt: skip
LAST_NAMES = (
    "Silva", "Okafor", "Müller", "Tanaka", "Novak", "Haddad", "Kim", "Rossi", "Dubois",
    "Jensen", "Mensah", "Walsh", "García", "Patel", "Ivanova", "Costa", "Nguyen", "Moreau",
    "Schmidt", "Rahman", "Larsen", "Chen", "Kowalski", "Fischer", "Santos", "Yilmaz",
    "Andersson", "Brown", "Suzuki", "Ferreira", "Cohen", "Lopez", "Ahmed", "Bauer", "Singh",
)  # fmt: skip
NOTES = (
    "renewal slips to next month",
    "new logo in legal review",
    "upsell pending budget approval",
    "deal at risk",
    "verbal commit",
    "pulled in from next quarter",
    "multi-year renewal",
    "pilot converts to paid",
)


class Rep(NamedTuple):
    """One generated rep (or planned hire) with everything the files need."""

    id: str
    name: str
    team: str
    region: int
    segment: str
    start: date
    planned: bool
    base: int
    variable: int
    history: int
    potential: int
    optimism: float  # forecast / expected, per rep: < 1 sandbagging, > 1 optimistic


def fiscal_month(d: date) -> int:
    """0-based fiscal month of ``d`` (negative before the fiscal year)."""
    return (d.year - FY_START.year) * 12 + (d.month - FY_START.month)


def productivity(start: date, month: int) -> float:
    """Ramp-adjusted productivity of a rep in fiscal month ``month`` (0-based), as docs/design.md, "Capacity"."""
    tenure = month - fiscal_month(start) + 1
    if tenure < 1:
        return 0.0
    if tenure <= len(RAMP):
        return RAMP[tenure - 1]
    return 1.0


def below(rng: Random, n: int) -> int:
    """A uniform int in [0, n): ``randrange`` is several times slower and this runs 10^6 times."""
    return int(rng.random() * n)


def random_date(rng: Random, lo: date, hi: date) -> date:
    """A date in [lo, hi], uniform."""
    return date.fromordinal(lo.toordinal() + below(rng, hi.toordinal() - lo.toordinal() + 1))


def split_ranges(total: int, parts: int) -> list[tuple[int, int]]:
    """``parts`` contiguous half-open ranges covering ``range(total)``, sizes differing by <= 1."""
    return [(i * total // parts, (i + 1) * total // parts) for i in range(parts)]


def make_reps(n_reps: int, rng: Random) -> tuple[list[tuple[str, str, int, str]], list[Rep]]:
    """Teams ``(id, name, region index, segment)`` and reps, in file order."""
    n_teams = max(1, n_reps // 10)
    n_regions = min(len(REGIONS), n_teams)
    width = max(6, len(str(n_reps)))
    teams: list[tuple[str, str, int, str]] = []
    reps: list[Rep] = []
    for region, (t_lo, t_hi) in enumerate(split_ranges(n_teams, n_regions)):
        region_id, region_name, _ = REGIONS[region]
        t_width = max(3, len(str(t_hi - t_lo)))
        for k, team in enumerate(range(t_lo, t_hi), start=1):
            segment = SEGMENTS[team % len(SEGMENTS)]
            team_id = f"{region_id}-{k:0{t_width}d}"
            teams.append((team_id, f"{region_name} {segment.title()} {k}", region, segment))
            r_lo, r_hi = team * n_reps // n_teams, (team + 1) * n_reps // n_teams
            for i in range(r_lo + 1, r_hi + 1):
                u = rng.random()
                planned = u < 0.02
                if planned:  # an open requisition, starting during the fiscal year
                    start = random_date(rng, date(2027, 3, 1), date(2027, 12, 1)).replace(day=1)
                elif u < 0.07:  # hired during the fiscal year
                    start = random_date(rng, FY_START, date(2028, 1, 20))
                else:
                    start = random_date(rng, date(2018, 1, 1), date(2027, 1, 31))
                base = (70 + below(rng, 61)) * 1000
                variable = int(base * (0.6 + 0.6 * rng.random())) // 1000 * 1000
                if planned or start >= FY_START:
                    history = 0
                else:
                    months = min(12, -fiscal_month(start))  # on board in the prior year
                    level = 600_000 + 800_000 * rng.random()
                    history = int(level * months / 12) // 1000 * 1000
                potential = (2000 + below(rng, 4001)) * 1000
                name = (
                    "Open AE req"
                    if planned
                    else f"{FIRST_NAMES[below(rng, len(FIRST_NAMES))]} "
                    f"{LAST_NAMES[below(rng, len(LAST_NAMES))]}"
                )
                reps.append(
                    Rep(
                        id=f"{'tbh' if planned else 'rep'}-{i:0{width}d}",
                        name=name,
                        team=team_id,
                        region=region,
                        segment=segment,
                        start=start,
                        planned=planned,
                        base=base,
                        variable=variable,
                        history=history,
                        potential=potential,
                        optimism=0.7 + 0.6 * rng.random(),
                    )
                )
    return teams, reps


def plan_yaml(n_reps: int, seed: int) -> str:
    weights = ", ".join(str(w) for w in SEASONALITY)
    ramp = ", ".join(str(r) for r in RAMP)
    return f"""\
# Generated by benchmarks/generate.py --reps {n_reps} --seed {seed}; do not edit by hand.
salesplan: 1
id: bench
name: Benchmark FY2027 {n_reps} reps
currency: USD
fiscal_year: {{start: {FY_START.isoformat()}, periods: month}}
target: {n_reps * 1_000_000:_}
seasonality: [{weights}]
rounding: 1000
levels:
  - {{name: region, split: history}}
  - {{name: team, split: {{history: 0.6, potential: 0.4}}, over_assign: 0.05}}
  - {{name: rep, split: capacity, over_assign: 0.10}}
capacity:
  full_quota: 1_200_000
  attainment: 0.85
  ramp: {{standard: [{ramp}]}}
  default_ramp: standard
  attrition: 0.1
budget: {{max_cost_of_sales: 0.3}}
reconcile: {{max_shift: 0.15}}
"""


def org_yaml(teams: list[tuple[str, str, int, str]], reps: list[Rep]) -> str:
    n_regions = len({t[2] for t in teams})
    out = ["units:\n"]
    for region_id, region_name, _ in REGIONS[:n_regions]:
        out.append(f"  - {{id: {region_id}, name: {region_name}, level: region}}\n")
    for team_id, team_name, region, _ in teams:
        parent = REGIONS[region][0]
        out.append(f"  - {{id: {team_id}, name: {team_name}, level: team, parent: {parent}}}\n")
    out.append("reps:\n")
    for r in reps:
        status = ", status: planned" if r.planned else ""
        out.append(
            f"  - {{id: {r.id}, name: {r.name}, parent: {r.team}, start: {r.start.isoformat()}"
            f"{status}, ote: {{base: {r.base}, variable: {r.variable}}}}}\n"
        )
    return "".join(out)


def territories_yaml(reps: list[Rep], rng: Random) -> str:
    out = ["territories:\n"]
    width = max(6, len(str(len(reps))))
    acct_width = max(7, len(str(2 * len(reps))))
    for i, r in enumerate(reps, start=1):
        _, region_name, geos = REGIONS[r.region]
        n_geo = 1 + below(rng, 3)
        first = below(rng, len(geos))
        geo = ", ".join(geos[(first + j) % len(geos)] for j in range(n_geo))
        a1, a2 = 2 * i - 1, 2 * i
        out.append(
            f"  - {{id: terr-{i:0{width}d}, name: {region_name} {r.segment.title()} {i}, "
            f"owner: {r.id}, segment: {r.segment}, geo: [{geo}], "
            f"accounts: [acct-{a1:0{acct_width}d}, acct-{a2:0{acct_width}d}], "
            f"metrics: {{potential: {r.potential}}}}}\n"
        )
    return "".join(out)


def metrics_csv(reps: list[Rep]) -> str:
    return "id,history\n" + "".join(f"{r.id},{r.history}\n" for r in reps if not r.planned)


def forecast_csv(reps: list[Rep], rng: Random) -> str:
    total_weight = sum(SEASONALITY)
    shares = [w / total_weight for w in SEASONALITY]
    out = ["rep,period,amount,note\n"]
    rand = rng.random
    n_notes = len(NOTES)
    for r in reps:
        if r.planned:
            continue
        annual = 1_000_000 * r.optimism
        if fiscal_month(r.start) <= -len(RAMP):  # ramped before the fiscal year starts
            expected = [annual * share for share in shares]
        else:
            expected = [annual * share * productivity(r.start, m) for m, share in enumerate(shares)]
        rep_id = r.id
        for period, exp in zip(PERIODS, expected, strict=True):
            amount = int(exp * (0.85 + 0.3 * rand())) // 50 * 50
            note = NOTES[int(rand() * n_notes)] if rand() < 0.03 else ""
            out.append(f"{rep_id},{period},{amount},{note}\n")
    return "".join(out)


def org_units_yaml(teams: list[tuple[str, str, int, str]]) -> str:
    """org.yaml without its reps: they are in reps.csv."""
    return org_yaml(teams, []).replace("reps:\n", "")


def reps_csv(reps: list[Rep]) -> str:
    """The reps as a CSV table (``files: {reps: reps.csv}``), as an HRIS export would be."""
    out = ["id,name,parent,start,status,ote_base,ote_variable\n"]
    for r in reps:
        status = "planned" if r.planned else ""
        out.append(
            f"{r.id},{r.name},{r.team},{r.start.isoformat()},{status},{r.base},{r.variable}\n"
        )
    return "".join(out)


def territories_csv(reps: list[Rep], rng: Random) -> str:
    """The territories as a CSV table; their potential goes to metrics.csv."""
    out = ["id,name,owner,segment,geo,accounts\n"]
    metrics = []
    for line in territories_yaml(reps, rng).splitlines()[1:]:
        fields = dict(re.findall(r"(\w+): (\[[^]]*\]|\{[^}]*\}|[^,}]+)", line.strip()[3:-1]))
        geo = fields["geo"].strip("[]").replace(", ", " ")
        accounts = fields["accounts"].strip("[]").replace(", ", " ")
        out.append(
            f"{fields['id']},{fields['name']},{fields['owner']},{fields['segment']},{geo},{accounts}\n"
        )
        metrics.append(f"{fields['id']},,{fields['metrics'].split(': ')[1].rstrip('}')}\n")
    return "".join(out) + "\0" + "".join(metrics)


def break_rows(forecast: str, share: float, rng: Random) -> str:
    """``share`` of the submission rows broken as people break them, in turn: a mistyped rep
    id (one letter too many), an amount with a letter O for a zero, a period that does not
    exist, a negative amount."""
    lines = forecast.splitlines(keepends=True)
    rows = range(1, len(lines))
    for turn, i in enumerate(sorted(rng.sample(rows, round(share * len(rows))))):
        rep, period, amount, note = lines[i].rstrip("\n").split(",", 3)
        if turn % 4 == 0:
            rep += "x"
        elif turn % 4 == 1:
            amount = amount.replace("0", "O", 1) if "0" in amount else amount + "O"
        elif turn % 4 == 2:
            period = "M13"
        else:
            amount = "-" + amount
        lines[i] = f"{rep},{period},{amount},{note}\n"
    return "".join(lines)


def break_reps(org: str, share: float, rng: Random) -> str:
    """``share`` of the reps broken, in turn: a mistyped team id, an end before the start, an
    unknown ramp profile, an OTE that is not a number (the rep is then left out)."""
    lines = org.splitlines(keepends=True)
    reps = [
        i for i, line in enumerate(lines) if line.startswith("  - {id: ") and "parent: " in line
    ]
    reps = [i for i in reps if "level: " not in lines[i]]
    for turn, i in enumerate(sorted(rng.sample(reps, round(share * len(reps))))):
        line = lines[i]
        if turn % 4 == 0:
            team = line.split("parent: ", 1)[1].split(",", 1)[0]
            line = line.replace(f"parent: {team},", f"parent: {team}x,")
        elif turn % 4 == 1:
            line = line.replace(", start: ", ", end: 2017-12-31, start: ")
        elif turn % 4 == 2:
            line = line.replace(", start: ", ", ramp: standrad, start: ")
        else:
            line = line.replace("ote: {base: ", "ote: {base: k")
        lines[i] = line
    return "".join(lines)


def write_text(path: Path, text: str) -> int:
    data = text.encode("utf-8")
    path.write_bytes(data)
    return len(data)


def generate(
    n_reps: int, out: Path, seed: int = 7, tables: str = "yaml", broken: float = 0.0
) -> dict[str, int]:
    """Write the plan repository into ``out``; return the size in bytes of each file written.
    With ``tables="csv"`` the reps and territories are CSV tables (reps.csv, territories.csv)
    holding the same rows. With ``broken`` (a share, 0.01 = 1%), that share of the
    submission rows and of the reps is broken: the error path of docs/design.md, "Performance budgets"."""
    if n_reps < 1:
        raise ValueError("--reps must be at least 1")
    rng = Random(seed)
    teams, reps = make_reps(n_reps, rng)
    out.mkdir(parents=True, exist_ok=True)
    (out / "submissions").mkdir(exist_ok=True)
    files = {
        "salesplan.yaml": plan_yaml(n_reps, seed),
        "org.yaml": org_yaml(teams, reps),
        "territories.yaml": territories_yaml(reps, Random(seed + 1)),
        "metrics.csv": metrics_csv(reps),
        "submissions/forecast.csv": forecast_csv(reps, Random(seed + 2)),
    }
    if tables == "csv":
        territories, territory_metrics = territories_csv(reps, Random(seed + 1)).split("\0")
        del files["territories.yaml"]
        files["org.yaml"] = org_units_yaml(teams)
        files["reps.csv"] = reps_csv(reps)
        files["territories.csv"] = territories
        rep_metrics = metrics_csv(reps).replace("\n", ",\n")  # an empty potential per rep
        files["metrics.csv"] = rep_metrics.replace("id,history,", "id,history,potential", 1)
        files["metrics.csv"] += territory_metrics
        files["salesplan.yaml"] += "files: {reps: reps.csv, territories: territories.csv}\n"
    if broken:
        files["org.yaml"] = break_reps(files["org.yaml"], broken, Random(seed + 3))
        forecast = files["submissions/forecast.csv"]
        files["submissions/forecast.csv"] = break_rows(forecast, broken, Random(seed + 4))
    return {name: write_text(out / name, text) for name, text in files.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate a large salesplan plan repository.")
    parser.add_argument("--reps", type=int, default=10_000, help="number of reps (default 10000)")
    parser.add_argument("--out", type=Path, required=True, help="directory to write the plan to")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument(
        "--tables",
        choices=["yaml", "csv"],
        default="yaml",
        help="reps and territories in org.yaml/territories.yaml (default) or reps.csv/territories.csv",
    )
    parser.add_argument(
        "--broken",
        type=float,
        default=0.0,
        metavar="PERCENT",
        help="break this percent of the submission rows and of the reps (the error path: "
        "docs/design.md, 'Performance budgets' times `check` on --broken 1)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="write into a non-empty directory (replaces the generated files, removes quotas.yaml)",
    )
    args = parser.parse_args(argv)
    out: Path = args.out
    if args.reps < 1:
        parser.error("--reps must be at least 1")
    if not 0 <= args.broken <= 100:
        parser.error("--broken is a percent, from 0 to 100")
    if out.exists() and not out.is_dir():
        parser.error(f"{out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not args.force:
        parser.error(f"{out} is not empty; pass --force to overwrite the plan in it")
    t0 = time.perf_counter()
    sizes = generate(args.reps, out, args.seed, args.tables, args.broken / 100)
    stale = out / "quotas.yaml"
    if stale.exists():  # generated from the previous inputs: would be reported stale
        stale.unlink()
    elapsed = time.perf_counter() - t0
    for name, size in sizes.items():
        print(f"{size / 1e6:10.2f} MB  {out / name}", file=sys.stderr)
    print(f"generated {args.reps} reps in {elapsed:.2f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

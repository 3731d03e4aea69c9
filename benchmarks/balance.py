"""The `balance` budget of docs/design.md, "Performance budgets": 20,000 accounts × 50 reps in ≤ 30 s, cold.

Writes a plan with REPS reps (two teams per region, one planned hire, one rep ramping from
July, one who has left) and an accounts.csv of ACCOUNTS accounts whose books are skewed
(some reps hold three times what others do), with potential, lat/lon and segments; then
runs `salesplan balance PLAN --format json` as a subprocess with no cache and reports the
wall time, status, moves, value, bound and gap. Standard library only.

    python benchmarks/balance.py                      # 20,000 × 50, both objectives
    python benchmarks/balance.py --accounts 2000 --reps 20 --objective distance
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
BUDGET_SECONDS = 30.0
SEGMENTS = ("enterprise", "commercial")


def write_plan(folder: Path, reps: int, accounts: int, seed: int) -> None:
    rng = random.Random(seed)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / "salesplan.yaml").write_text(
        "salesplan: 1\n"
        "name: Balance benchmark\n"
        "currency: USD\n"
        "fiscal_year: {start: 2027-01-01, periods: quarter}\n"
        f"target: {reps * 1_000_000}\n"
        "levels: [{name: team, split: even}, {name: rep, split: capacity}]\n"
        "capacity: {full_quota: 1_200_000, ramp: {standard: [0.25, 0.5, 0.75]}, default_ramp: standard}\n"
        "balance: {metric: potential, band: 0.1, target: capacity, objective: disruption}\n",
        encoding="utf-8",
    )
    lines = ["units:"]
    for segment in SEGMENTS:
        lines.append(f"  - {{id: {segment}, level: team}}")
    lines.append("reps:")
    territories = ["territories:"]
    bases = []
    for r in range(reps):
        segment = SEGMENTS[r % 2]
        start = "2020-01-01"
        extra = ""
        if r == 1:
            start = "2027-07-01"  # ramping from July: a smaller share
        if r == 2:
            extra = ", status: planned"
            start = "2027-04-01"
        if r == 3:
            extra = ", end: 2026-12-31"  # has left: their accounts must move
        lat, lon = rng.uniform(30, 48), rng.uniform(-122, -72)
        bases.append((lat, lon))
        lines.append(
            f"  - {{id: rep-{r:03d}, parent: {segment}, start: {start}{extra}, "
            f"base: {{lat: {lat:.4f}, lon: {lon:.4f}}}}}"
        )
        if r != 3:
            territories.append(f"  - {{id: t-{r:03d}, owner: rep-{r:03d}, segment: {segment}}}")
    (folder / "org.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "territories.yaml").write_text("\n".join(territories) + "\n", encoding="utf-8")
    rows = ["id,name,owner,segment,potential,lat,lon,locked"]
    weights = [3.0 if r % 5 == 0 else 1.0 for r in range(reps)]
    weights[2] = 0.0  # the planned hire starts with nothing
    for a in range(accounts):
        owner = rng.choices(range(reps), weights)[0]
        segment = SEGMENTS[owner % 2]
        lat, lon = bases[owner]
        potential = int(rng.lognormvariate(11, 1.0))
        locked = "true" if a % 200 == 0 else ""
        rows.append(
            f"acct-{a:06d},Account {a},rep-{owner:03d},{segment},{potential},"
            f"{lat + rng.gauss(0, 2):.4f},{lon + rng.gauss(0, 3):.4f},{locked}"
        )
    (folder / "accounts.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")


def salesplan_path(given: str | None) -> str:
    if given:
        return given
    beside = Path(sys.executable).parent / "salesplan"
    return str(beside) if beside.exists() else (shutil.which("salesplan") or "salesplan")


def _children_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes: on a busy machine a
    better guide than wall time to what an idle one would take."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(salesplan: str, folder: Path, objective: str) -> dict[str, object]:
    command = [salesplan, "balance", str(folder), "--objective", objective, "--format", "json"]
    began, cpu_before = time.perf_counter(), _children_cpu()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - began
    cpu = _children_cpu() - cpu_before
    if done.returncode not in (0, 1) or not done.stdout.startswith("{"):
        return {"objective": objective, "seconds": seconds, "error": done.stderr.strip()[-500:]}
    result = json.loads(done.stdout)
    return {
        "objective": objective,
        "seconds": round(seconds, 2),
        "cpu": round(cpu, 2),
        "status": result["status"],
        "method": result["method"],
        "moves": len(result["moves"]),
        "value": result["value"],
        "bound": result["bound"],
        "gap": result["gap"],
        "within_budget": seconds <= BUDGET_SECONDS,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--reps", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--objective", choices=["disruption", "distance", "both"], default="both")
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--salesplan", default=None)
    args = parser.parse_args()
    folder = args.out / f"balance-{args.accounts}x{args.reps}-s{args.seed}"
    write_plan(folder, args.reps, args.accounts, args.seed)
    load = os.getloadavg()[0]
    objectives = ["disruption", "distance"] if args.objective == "both" else [args.objective]
    results = [run(salesplan_path(args.salesplan), folder, o) for o in objectives]
    print(f"balance of {args.accounts:,} accounts × {args.reps} reps (budget {BUDGET_SECONDS:g} s)")
    print(f"load average before: {load:.1f} on {os.cpu_count()} cores")
    print("| objective | wall s | cpu s | status | method | moves | value | bound | gap |")
    print("|---|---:|---:|---|---|---:|---:|---:|---:|")
    for r in results:
        if "error" in r:
            print(f"| {r['objective']} | {r['seconds']:.2f} | error: {r['error']} |")
            continue
        gap = f"{float(r['gap'] or 0):.2%}" if r["gap"] is not None else "–"  # type: ignore[arg-type]
        print(
            f"| {r['objective']} | {r['seconds']:.2f} | {r['cpu']:.2f} | {r['status']} | {r['method']} | "
            f"{r['moves']} | {r['value']} | {r['bound']} | {gap} |"
        )
    return 0 if all(r.get("within_budget") for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

"""Time the salesplan CLI against the performance budgets of docs/design.md.

Usage::

    python benchmarks/run.py [--reps 10000 100000] [--salesplan PATH] [--repeat 3]

Generates the benchmark plans into ``benchmarks/out/`` (gitignored) when they are missing, then
runs each command as a subprocess with ``--format json`` and its output sent to /dev/null, and
measures, per command: best and median wall time over the repeats, peak RSS of the child
process (``ru_maxrss`` from ``os.wait4``), and the exit code. Prints a Markdown table, then the
growth ratio of each command from the smallest to the largest plan.

A command the installed CLI does not offer yet (``salesplan CMD --help`` fails) is reported as
``n/a``. Exit status: 0 when every measured command is within its budget, 1 when a budget is
exceeded or a command fails or times out, 2 on a usage error.

Stdlib only: it talks to salesplan through its command line, never imports it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "out"

# label, argv after the plan path is inserted after the first word
COMMANDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("check", ("check",)),
    ("allocate --write", ("allocate", "--write")),
    ("capacity", ("capacity",)),
    ("rollup", ("rollup",)),
    ("reconcile", ("reconcile",)),
)

# docs/design.md, "Performance budgets": (seconds, MiB or None) per plan size and form of its
# big tables (every run is cold: salesplan keeps no cache); the example is checked separately.
EXAMPLE_BUDGET_S = 0.35
BUDGETS: dict[tuple[int, str], tuple[float, float | None]] = {
    (10_000, "yaml"): (2.0, None),
    (10_000, "csv"): (1.0, None),
    (100_000, "yaml"): (20.0, 1536.0),
    (100_000, "csv"): (20.0, 1536.0),
}


@dataclass
class Result:
    """The measurement of one command on one plan."""

    command: str
    reps: int | None  # None: the plan scaffolded by `salesplan init`
    argv: list[str] = field(default_factory=list)
    times: list[float] = field(default_factory=list)
    peak_kib: int = 0
    exit_code: int | None = None
    budget_s: float | None = None
    budget_mib: float | None = None
    status: str = "n/a"  # ok | over | error | timeout | n/a
    expect_exit: int = 0  # 1 for the error path: the plan is rejected
    note: str = ""

    @property
    def best(self) -> float | None:
        return min(self.times) if self.times else None

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times else None

    @property
    def peak_mib(self) -> float | None:
        return self.peak_kib / 1024 if self.times else None


@dataclass
class Run:
    """One finished child process."""

    wall: float
    peak_kib: int
    exit_code: int
    timed_out: bool
    stderr: str


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def find_salesplan(explicit: str | None) -> str | None:
    """``--salesplan``, else the ``salesplan`` beside this interpreter, else the one on PATH."""
    if explicit:
        found = shutil.which(explicit)
        return found or (explicit if Path(explicit).exists() else None)
    beside = Path(sys.executable).parent / "salesplan"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("salesplan")


def compile_bytecode(salesplan: str) -> str:
    """Compile salesplan's modules to bytecode, as `pip install .` leaves an installed
    package (pip compiles what it installs). An editable install under
    PYTHONDONTWRITEBYTECODE would otherwise compile every module from source on every run,
    about 0.05 s a command, which no installed copy pays. This keeps no result of any run:
    the budgets stay cold. What it did, in one line for the report."""
    python = Path(salesplan).parent / "python"
    if not python.exists():
        return "bytecode: left as installed (no interpreter beside the salesplan executable)"
    where = subprocess.run(
        [str(python), "-c", "import os, salesplan; print(os.path.dirname(salesplan.__file__))"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    package = where.stdout.strip()
    if where.returncode or not package:
        return "bytecode: left as installed (salesplan not importable beside the executable)"
    subprocess.run([str(python), "-m", "compileall", "-q", package], check=False)
    return (
        f"bytecode: salesplan's modules compiled first, as `pip install .` leaves them ({package})"
    )


def maxrss_kib(ru_maxrss: int) -> int:
    """``ru_maxrss`` is KiB on Linux and the BSDs, bytes on macOS."""
    return ru_maxrss // 1024 if sys.platform == "darwin" else ru_maxrss


def run_child(argv: list[str], timeout: float, stdout: int | None = subprocess.DEVNULL) -> Run:
    """Run ``argv`` once; wall time, peak RSS of that child (not of this process), exit code."""
    with tempfile.TemporaryFile() as err:
        timed_out = threading.Event()
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=stdout, stderr=err)

        def kill() -> None:
            if proc.returncode is None:
                timed_out.set()
                proc.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - t0
            proc.returncode = os.waitstatus_to_exitcode(status)
        finally:
            timer.cancel()
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    return Run(wall, maxrss_kib(usage.ru_maxrss), proc.returncode, timed_out.is_set(), stderr)


def available(salesplan: str | None, command: str, cache: dict[str, str]) -> bool:
    """Whether ``salesplan COMMAND --help`` succeeds; ``cache[command]`` says why not."""
    if salesplan is None:
        return False
    if command not in cache:
        try:
            done = subprocess.run(
                [salesplan, command, "--help"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                timeout=60,
                check=False,
            )
            why = first_line(done.stderr.decode("utf-8", "replace"))
            cache[command] = "" if done.returncode == 0 else f"exit {done.returncode}: {why}"
        except (OSError, subprocess.TimeoutExpired) as exc:
            cache[command] = str(exc) or type(exc).__name__
    return cache[command] == ""


def unavailable_note(command: str, cache: dict[str, str]) -> str:
    return f"`salesplan {command} --help` failed ({cache.get(command, 'not run')})"


BOX_DRAWING = "".join(chr(c) for c in range(0x2500, 0x2580))  # rich panels around errors


def first_line(text: str) -> str:
    """The last meaningful line of ``text`` (an error's message), without panel borders."""
    stripped = (line.strip().strip(BOX_DRAWING).strip() for line in text.splitlines())
    lines = [line for line in stripped if line]
    line = lines[-1] if lines else ""
    return line if len(line) <= 160 else line[:157] + "..."


def run_once(result: Result, i: int, repeat: int, timeout: float) -> bool:
    """One timed run of ``result.argv``; False once the result is settled (error, timeout)."""
    label = result.command if result.reps is None else f"{result.command} ({result.reps} reps)"
    try:
        run = run_child(result.argv, timeout)
    except OSError as exc:  # not executable, exec format error, ...
        result.status, result.note = "error", f"cannot run {result.argv[0]}: {exc}"
        return False
    result.times.append(run.wall)
    result.peak_kib = max(result.peak_kib, run.peak_kib)
    result.exit_code = run.exit_code
    log(f"  {label}: run {i + 1}/{repeat} {run.wall:.3f} s, exit {run.exit_code}")
    if run.timed_out:
        result.status, result.note = "timeout", f"killed after {timeout:g} s"
        return False
    if run.exit_code != result.expect_exit:
        result.status = "error"
        result.note = explain_failure(result.argv, run, timeout)
        return False
    return True


def judge(result: Result) -> Result:
    """The verdict of a measured result against its budgets."""
    over = []
    best, peak = result.best, result.peak_mib
    if result.budget_s is not None and best is not None and best > result.budget_s:
        over.append(f"{best:.2f} s > {result.budget_s:g} s")
    if result.budget_mib is not None and peak is not None and peak > result.budget_mib:
        over.append(f"{peak:.0f} MB > {result.budget_mib:g} MB")
    result.status = "over" if over else "ok"
    result.note = "; ".join(over)
    return result


def measure(results: list[Result], repeat: int, timeout: float) -> list[Result]:
    """Run each result's ``argv`` ``repeat`` times, the commands taking turns (a b c a b c
    ...): a slow minute of a shared machine then costs every command one run, not one command
    all of its runs. Results without ``argv`` are left as they are."""
    active = [r for r in results if r.argv]
    for i in range(repeat):
        active = [r for r in active if run_once(r, i, repeat, timeout)]
    for r in active:
        judge(r)
    return results


def explain_failure(argv: list[str], run: Run, timeout: float) -> str:
    """A one-line reason: the end of stderr, else the start of the (JSON) output of a rerun."""
    if run.stderr.strip():
        return first_line(run.stderr)
    with tempfile.TemporaryFile() as out:
        rerun = run_child(argv, timeout, stdout=out.fileno())
        out.seek(0)
        text = out.read(4000).decode("utf-8", "replace")
    if not text.strip():
        return first_line(rerun.stderr)
    try:  # check --format json: name the first diagnostics
        diags = json.loads(text).get("diagnostics", [])
        return "; ".join(f"{d.get('code')} {d.get('message')}" for d in diags[:3])[:300]
    except (ValueError, AttributeError):
        return first_line(text)


def ensure_plan(
    out: Path, reps: int, seed: int, regenerate: bool, tables: str = "yaml", broken: int = 0
) -> Path:
    """The generated plan for ``reps`` (generated into a temporary directory, then renamed),
    with its reps and territories as YAML or as CSV tables, and ``broken`` percent of its
    submission rows and reps broken."""
    suffix = ("-csv" if tables == "csv" else "") + (f"-broken{broken}" if broken else "")
    plan = out / f"plan-{reps}-s{seed}{suffix}"
    if (plan / "salesplan.yaml").is_file() and not regenerate:
        return plan
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".plan-{reps}-", dir=out))
    log(f"generating {plan} ...")
    generate = [sys.executable, str(HERE / "generate.py"), "--reps", str(reps), "--force"]
    generate += ["--tables", tables] + (["--broken", str(broken)] if broken else [])
    subprocess.run([*generate, "--seed", str(seed), "--out", str(tmp)], check=True)
    if plan.exists():
        shutil.rmtree(plan)
    tmp.chmod(0o755)  # mkdtemp makes it private
    tmp.rename(plan)
    return plan


def prepare_example(
    salesplan: str | None, out: Path, cache: dict[str, str], timeout: float
) -> Result:
    """``salesplan check`` on a plan freshly scaffolded by ``salesplan init``, ready to time."""
    result = Result("check (init example)", None, budget_s=EXAMPLE_BUDGET_S)
    for command in ("init", "check"):
        if not available(salesplan, command, cache):
            result.note = unavailable_note(command, cache) if salesplan else "salesplan not found"
            return result
    assert salesplan is not None
    out.mkdir(parents=True, exist_ok=True)
    example = out / "example"
    if example.exists():
        shutil.rmtree(example)
    init = run_child([salesplan, "init", str(example)], timeout)
    if init.exit_code != 0:
        result.status, result.exit_code = "error", init.exit_code
        result.note = f"salesplan init failed: {first_line(init.stderr)}"
        return result
    result.argv = [salesplan, "check", str(example), "--format", "json"]
    return result


def prepare_plan(
    salesplan: str | None,
    plan: Path,
    reps: int,
    cache: dict[str, str],
    args: argparse.Namespace,
    tables: str = "yaml",
) -> list[Result]:
    """The plan's commands, ready to time, after an untimed ``allocate --write``."""
    budget_s, budget_mib = BUDGETS.get((reps, tables), (None, None))
    suffix = " (csv tables)" if tables == "csv" else ""
    results = [
        Result(label + suffix, reps, budget_s=budget_s, budget_mib=budget_mib)
        for label, _ in COMMANDS
    ]
    if salesplan is None:
        for r in results:
            r.note = "salesplan not found"
        return results
    # quotas.yaml from an untimed first allocate: check then verifies a fresh, committed-like
    # file (as in CI) and rollup/reconcile compare against quotas on every repeat alike.
    if available(salesplan, "allocate", cache):
        log(f"allocate --write on {plan} (untimed, so that quotas.yaml exists)")
        prep = run_child([salesplan, "allocate", str(plan), "--write"], args.timeout)
        if prep.exit_code != 0:
            log(f"  allocate --write failed (exit {prep.exit_code}): {first_line(prep.stderr)}")
    for result, (_, words) in zip(results, COMMANDS, strict=True):
        if not available(salesplan, words[0], cache):
            result.note = unavailable_note(words[0], cache)
            continue
        result.argv = [salesplan, words[0], str(plan), *words[1:], "--format", "json"]
    return results


def prepare_error_path(salesplan: str | None, plan: Path, reps: int) -> Result:
    """``check`` on the plan with 1% of its submission rows and reps broken: rejected (exit 1)
    within the budget of a clean plan's check."""
    budget_s, _ = BUDGETS.get((reps, "yaml"), (None, None))
    result = Result("check (1% broken, exit 1)", reps, budget_s=budget_s, expect_exit=1)
    if salesplan is not None:
        result.argv = [salesplan, "check", str(plan), "--format", "json"]
    return result


def fmt(value: float | None, digits: int) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def budget_text(r: Result) -> str:
    parts = []
    if r.budget_s is not None:
        parts.append(f"≤ {r.budget_s:g} s")
    if r.budget_mib is not None:
        parts.append(f"≤ {r.budget_mib:g} MB")
    return ", ".join(parts) or "—"


def markdown_table(results: list[Result]) -> str:
    rows = [
        "| command | reps | best s | median s | peak MB | exit | budget | result |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in results:
        reps = "init example" if r.reps is None else f"{r.reps:,}"
        exit_code = "n/a" if r.exit_code is None else str(r.exit_code)
        verdict = r.status if r.status in ("ok", "n/a") else f"**{r.status}**"
        best, median = fmt(r.best, 3), fmt(r.median, 3)
        if r.status == "timeout":  # the last run was killed: its time is a lower bound
            best = median = "—"
        rows.append(
            f"| `{r.command}` | {reps} | {best} | {median} "
            f"| {fmt(r.peak_mib, 0)} | {exit_code} | {budget_text(r)} | {verdict} |"
        )
    return "\n".join(rows)


def growth_table(results: list[Result], sizes: list[int]) -> str | None:
    """Time ratio largest/smallest plan per command: linear growth gives about the size ratio."""
    if len(sizes) < 2:
        return None
    small, large = min(sizes), max(sizes)
    expected = large / small
    by_key = {(r.command, r.reps): r for r in results}
    rows = [
        f"Growth {small:,} → {large:,} reps (linear = {expected:g}; "
        "below it, fixed start-up cost dominates the small plan)",
        "",
        f"| command | best s @{small:,} | best s @{large:,} | µs/rep @{small:,} "
        f"| µs/rep @{large:,} | time ratio | verdict |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for label, _ in COMMANDS:
        a, b = by_key.get((label, small)), by_key.get((label, large))
        if a is None or b is None or not {a.status, b.status} <= {"ok", "over"}:
            rows.append(f"| `{label}` | | | | | n/a | not measured at both sizes |")
            continue
        assert a.best is not None and b.best is not None
        ratio = b.best / a.best
        verdict = "linear" if ratio <= expected * 1.3 else f"superlinear ({ratio / expected:.1f}×)"
        rows.append(
            f"| `{label}` | {a.best:.3f} | {b.best:.3f} | {a.best / small * 1e6:.1f} "
            f"| {b.best / large * 1e6:.1f} | {ratio:.1f} | {verdict} |"
        )
    return "\n".join(rows)


def machine_info(salesplan: str | None) -> list[str]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next(
                (ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")), cpu
            )
    except OSError:
        pass
    mem = ""
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        mem = f", {pages * size / 2**30:.0f} GiB RAM"
    except (ValueError, OSError, AttributeError):
        pass
    version = "not found"
    if salesplan is not None:
        try:
            done = subprocess.run(
                [salesplan, "--version"], capture_output=True, text=True, timeout=60, check=False
            )
            if done.returncode == 0 and done.stdout.strip():
                version = done.stdout.strip().splitlines()[0]
            else:
                version = "unknown"
        except (OSError, subprocess.TimeoutExpired):
            version = "unknown"
    return [
        f"- date: {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- machine: {os.cpu_count()} cores ({cpu}){mem}, {platform.system()} {platform.release()}",
        f"- salesplan: {salesplan} ({version})" if salesplan else "- salesplan: not found",
        f"- its python: {interpreter(salesplan)}",
    ]


def interpreter(salesplan: str | None) -> str:
    """The Python that runs ``salesplan`` (its script's ``#!`` line), with its version and
    build line. The build matters: the same code runs about a fifth slower on a CPython built
    without profile-guided optimization and with a shared libpython (pyenv's default) than on
    a distribution's optimized build (benchmarks/README, "Which Python")."""
    if salesplan is None:
        return "unknown"
    try:
        with open(salesplan, "rb") as f:
            first = f.readline(4096)
    except OSError:
        return "unknown"
    if not first.startswith(b"#!"):
        return "unknown (not a script)"
    python = first[2:].decode(errors="replace").strip().split(" ")[0]
    shown = (
        "import sys\n"
        "try:\n"
        "    with open('/proc/self/maps') as f:\n"
        "        linked = 'libpython3' in f.read()\n"
        "    linked = 'libpython shared' if linked else 'libpython built in'\n"
        "except OSError:\n"
        "    linked = 'libpython: unknown'\n"
        "print(sys.executable, '|', sys.version.replace(chr(10), ' '), '|', linked)"
    )
    try:
        done = subprocess.run(
            [python, "-c", shown], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return f"{python} (cannot run it)"
    if done.returncode or not done.stdout.strip():
        return f"{python} (cannot run it)"
    executable, version, linked = (part.strip() for part in done.stdout.split("|", 2))
    return f"{executable}, Python {version}, {linked}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark the salesplan CLI (docs/design.md).")
    parser.add_argument("--reps", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--salesplan", help="the salesplan executable (default: beside python)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per command")
    parser.add_argument("--seed", type=int, default=7, help="generator seed (default 7)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where plans are kept")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per run")
    parser.add_argument("--regenerate", action="store_true", help="regenerate the plans")
    parser.add_argument("--no-example", action="store_true", help="skip the init example")
    parser.add_argument("--json", type=Path, help="also write the raw results to this file")
    parser.add_argument(
        "--no-compile",
        action="store_true",
        help="leave salesplan's bytecode as it is (an editable install may have none)",
    )
    parser.add_argument(
        "--tables",
        nargs="+",
        choices=["yaml", "csv"],
        default=["yaml", "csv"],
        help="forms of the big tables to measure: org/territories YAML, reps/territories CSV",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1 or any(n < 1 for n in args.reps):
        parser.error("--repeat and --reps must be positive")
    sizes: list[int] = sorted(set(args.reps))

    salesplan = find_salesplan(args.salesplan)
    if salesplan is None:
        log("salesplan not found (pass --salesplan PATH or install it): every row is n/a")
    bytecode = "bytecode: not compiled (--no-compile)"
    if salesplan is not None and not args.no_compile:
        bytecode = compile_bytecode(salesplan)
    cache: dict[str, str] = {}
    results: list[Result] = []
    # the example's check takes turns with the commands of the first plan
    waiting = [] if args.no_example else [prepare_example(salesplan, args.out, cache, args.timeout)]
    results.extend(waiting)
    for reps in sizes:
        prepared = []
        for tables in args.tables:
            plan = ensure_plan(args.out, reps, args.seed, args.regenerate, tables)
            prepared += prepare_plan(salesplan, plan, reps, cache, args, tables)
        if reps == sizes[0]:  # the error path, on the smallest plan
            broken = ensure_plan(args.out, reps, args.seed, args.regenerate, "yaml", broken=1)
            prepared.append(prepare_error_path(salesplan, broken, reps))
        results.extend(prepared)
        measure(waiting + prepared, args.repeat, args.timeout)  # taking turns, both forms
        waiting = []

    print("\n".join(machine_info(salesplan)))
    print("- every run is cold: salesplan keeps no cache between runs")
    print(f"- {bytecode}")
    print()
    print(markdown_table(results))
    growth = growth_table(results, sizes)
    if growth:
        print()
        print(growth)
    notes: list[str] = []  # one line per distinct reason
    for r in results:
        if not r.note:
            continue
        where = "init example" if r.reps is None else f"{r.reps:,} reps"
        line = f"- n/a: {r.note}" if r.status == "n/a" else f"- `{r.command}` ({where}): "
        if r.status != "n/a":
            line += f"{r.status}: {r.note}"
        if line not in notes:
            notes.append(line)
    if notes:
        print()
        print("\n".join(notes))
    if args.json:
        args.json.write_text(
            json.dumps(
                [asdict(r) | {"best": r.best, "median": r.median} for r in results], indent=2
            )
            + "\n",
            encoding="utf-8",
        )
    return 1 if any(r.status in ("over", "error", "timeout") for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())

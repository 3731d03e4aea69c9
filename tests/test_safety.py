"""Hostile plans against the loader: paths stay inside the plan folder, nothing read is
executed, odd files are diagnostics (never hangs or tracebacks), and a broken file is
reported alone and fast (docs/design.md, "Hostile inputs")."""

from __future__ import annotations

import errno
import json
import os
import pickle
import time
from pathlib import Path

import pytest

import salesplan.reading.files as files
from salesplan.loading import load_plan

PLAN = """\
salesplan: 1
name: Minimal
currency: USD
fiscal_year: {start: 2027-01-01}
target: 1000000
levels: [{name: rep}]
"""
ORG = "reps:\n  - {id: ana, start: 2024-01-01}\n  - {id: ben, start: 2024-01-01}\n"


def plan_with(tmp_path: Path, files_line: str = "", org: str = ORG) -> Path:
    plan = tmp_path / "plan"
    plan.mkdir()
    (plan / "salesplan.yaml").write_text(PLAN + files_line)
    (plan / "org.yaml").write_text(org)
    return plan


def codes(plan: Path) -> list[tuple[str, str]]:
    return [(d.code, d.message) for d in load_plan(plan).diagnostics]


@pytest.mark.parametrize(
    ("files_line", "why"),
    [
        ("files: {quotas: ../other-plan/quotas.yaml}\n", "`..`"),
        ("files: {quotas: /tmp/quotas.yaml}\n", "absolute path"),
        ("files: {submissions: ../secret.env}\n", "`..`"),
        ("files: {org: '..\\\\org.yaml'}\n", "`..`"),
        ("files: {metrics: ~/metrics.csv}\n", "absolute path"),
        ("files: {org: 'C:org.yaml'}\n", "absolute path"),  # drive-relative on Windows
        ('files: {org: "org\\0.yaml"}\n', "NUL"),  # was ValueError: exit 3
    ],
)
def test_paths_outside_the_plan_are_errors(tmp_path: Path, files_line: str, why: str) -> None:
    plan = plan_with(tmp_path, files_line)
    found = load_plan(plan).diagnostics
    assert [d.code for d in found] == ["SP114"]
    assert why in found[0].message and found[0].line == 7


def test_allocate_never_writes_outside_the_plan(tmp_path: Path, cli) -> None:
    other = tmp_path / "other-plan"
    other.mkdir()
    (other / "quotas.yaml").write_text("precious\n")
    plan = plan_with(tmp_path, "files: {quotas: ../other-plan/quotas.yaml}\n")
    result = cli("allocate", plan, "--write")
    assert result.exit_code == 1 and "SP114" in result.stderr
    assert (other / "quotas.yaml").read_text() == "precious\n"


@pytest.mark.parametrize(
    ("files_line", "code", "kept"),
    [
        ("files: {quotas: org.yaml}\n", "SP203", "org.yaml"),
        ("files: {quotas: SALESPLAN.yaml}\n", "SP203", "salesplan.yaml"),
        ("files: {adjustments: org.yaml}\n", "SP203", "org.yaml"),
        ("files: {quotas: .git/config}\n", "SP114", ".git/config"),
        ("files: {quotas: sub/.Git/hooks/pre-commit}\n", "SP114", "sub/.Git/hooks/pre-commit"),
    ],
)
def test_allocate_never_writes_over_another_file(
    tmp_path: Path, cli, files_line: str, code: str, kept: str
) -> None:
    """`files.quotas` naming another plan file or a file of git's made `allocate --write`
    replace it (the org, salesplan.yaml itself, .git/config) with the quotas."""
    plan = plan_with(tmp_path, files_line)
    (plan / kept).parent.mkdir(parents=True, exist_ok=True)
    if not (plan / kept).exists():
        (plan / kept).write_text("precious\n")
    before = (plan / kept).read_bytes()
    result = cli("allocate", plan, "--write")
    assert result.exit_code == 1 and "salesplan.yaml:7:" in result.stderr, result.stderr
    assert f" {code} files." in result.stderr
    assert (plan / kept).read_bytes() == before


def test_a_secret_outside_never_reaches_an_annotation(tmp_path: Path, cli) -> None:
    (tmp_path / "secret.env").write_text("rep,period,amount\nTOKEN=hunter2,Q1,1\n")
    plan = plan_with(tmp_path, "files: {submissions: ../secret.env}\n")
    result = cli("check", plan, "--format", "github")
    assert result.exit_code == 1 and "hunter2" not in result.stdout + result.stderr


def test_a_symlink_leading_out_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "elsewhere.yaml").write_text(ORG)
    plan = plan_with(tmp_path)
    (plan / "org.yaml").unlink()
    (plan / "org.yaml").symlink_to(tmp_path / "elsewhere.yaml")
    [(code, message)] = codes(plan)
    assert code == "SP114" and "symlink" in message


def test_a_symlink_inside_the_plan_is_fine(tmp_path: Path) -> None:
    plan = plan_with(tmp_path)
    (plan / "org.yaml").rename(plan / "people.yaml")
    (plan / "org.yaml").symlink_to("people.yaml")
    assert codes(plan) == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_a_diagnostic_not_a_hang(tmp_path: Path) -> None:
    plan = plan_with(tmp_path)
    (plan / "org.yaml").unlink()
    os.mkfifo(plan / "org.yaml")
    started = time.monotonic()
    [(code, message)] = codes(plan)
    assert code == "SP113" and "not a regular file" in message
    assert time.monotonic() - started < 5


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_a_device_is_a_diagnostic(tmp_path: Path) -> None:
    plan = plan_with(tmp_path, "files: {org: zero.yaml}\n")
    (plan / "zero.yaml").symlink_to("/dev/zero")
    found = codes(plan)
    assert [c for c, _ in found] == ["SP114"]  # outside the plan: not even opened


def test_a_symlink_loop_is_named(tmp_path: Path) -> None:
    plan = plan_with(tmp_path)
    (plan / "org.yaml").unlink()
    (plan / "org.yaml").symlink_to("org.yaml")
    [(code, message)] = codes(plan)
    assert code == "SP113" and "symlink loop" in message


def test_a_folder_where_a_file_belongs(tmp_path: Path) -> None:
    plan = plan_with(tmp_path)
    (plan / "quotas.yaml").mkdir()
    [(code, message)] = codes(plan)
    assert code == "SP113" and "folder" in message


def test_an_unreadable_file_is_reported_with_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """chmod 000 does not stop root (CI runs as root), so the refusal is simulated."""
    plan = plan_with(tmp_path, "seasonlity: [1, 1, 1, 1]\n")
    (plan / "metrics.csv").write_text("id,history\nana,1\n")
    real_open = os.open

    def refuse(path: object, *args: object, **kwargs: object) -> int:
        if str(path).endswith("metrics.csv"):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(files.os, "open", refuse)
    found = codes(plan)
    assert ("SP113", "cannot read file: permission denied; make it readable") in found
    assert "SP201" in [c for c, _ in found]  # the other problems are still there


def test_a_file_over_the_limit_is_not_read(tmp_path: Path) -> None:
    plan = plan_with(tmp_path)
    with open(plan / "org.yaml", "wb") as big:
        big.truncate(files.MAX_BYTES + 1)  # sparse: nothing to read, were it read
    started = time.monotonic()
    [(code, message)] = codes(plan)
    assert code == "SP111" and "limit" in message
    assert time.monotonic() - started < 2


def test_a_planted_pickle_is_never_loaded(tmp_path: Path, cli, monkeypatch) -> None:
    """Earlier versions kept a pickle cache of parsed files; nothing is unpickled now, from
    any folder, whatever the environment says."""
    marker = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):  # runs `touch marker` when unpickled
            return (os.system, (f"touch {marker}",))

    cache = tmp_path / "cache"
    cache.mkdir()
    for name in ("0" * 64, "f" * 64):
        (cache / f"{name}.pickle").write_bytes(pickle.dumps(Exploit()))
    monkeypatch.setenv("SALESPLAN_CACHE_DIR", str(cache))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    plan = plan_with(tmp_path)
    result = cli("allocate", plan, "--format", "json")
    assert result.exit_code == 0 and not marker.exists()
    totals = [n["total"] for n in json.loads(result.stdout)["nodes"]]
    assert totals == ["1000000.00", "500000.00", "500000.00"]
    src = Path(__file__).parent.parent / "src" / "salesplan"
    for module in src.rglob("*.py"):
        text = module.read_text()
        assert "import pickle" not in text and "os.fork" not in text, module


def test_a_parse_error_is_reported_alone(example: Path) -> None:
    """One mis-indented line in org.yaml is one error: nothing that only follows from the
    org being unreadable (unknown owners, submissions for unknown reps, stale quotas)."""
    org = example / "org.yaml"
    lines = org.read_text().splitlines(keepends=True)
    name = next(i for i, line in enumerate(lines) if line.startswith("    name: Ben"))
    lines[name] = lines[name][2:]
    org.write_text("".join(lines))
    [found] = load_plan(example).diagnostics
    assert (found.code, found.file, found.line) == ("SP103", found.file, name + 1)


@pytest.mark.parametrize(("byte", "name"), [(b"\x00", "U+0000"), (b"\x1b", "U+001B")])
def test_a_control_byte_is_one_line_at_its_place(tmp_path: Path, byte: bytes, name: str) -> None:
    plan = plan_with(tmp_path)
    (plan / "org.yaml").write_bytes(ORG.encode() + b"x: a" + byte + b"\n")
    [found] = load_plan(plan).diagnostics
    assert (found.code, found.line, found.column) == ("SP103", 4, 5)
    assert name in found.message and "\n" not in found.message


def test_a_long_list_of_junk_is_rejected_fast_and_briefly(tmp_path: Path) -> None:
    junk = "reps: [" + ",".join(["1"] * 400_000) + "]\n"  # 800 KB
    plan = plan_with(tmp_path, org=junk)
    started = time.process_time()
    found = load_plan(plan).diagnostics
    elapsed = time.process_time() - started
    assert len(found) <= 150 and found[-1].code == "SP115"
    assert "399,900 more invalid items" in found[-1].message
    assert elapsed < 4, elapsed  # about 0.8 s on the reference machine


def test_loading_leaves_the_process_as_it_was(example: Path, cli) -> None:
    """No process-level switch (gc, forks) outlives a load or a command."""
    import gc

    assert gc.isenabled()
    load_plan(example)
    assert cli("check", example).exit_code == 0
    assert gc.isenabled()


@pytest.mark.parametrize("flow", [True, False])
def test_the_value_limit_stops_a_flat_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, flow: bool
) -> None:
    """A flat list of scalars counts against the limit as it is read (checked every 65,536
    items), and the limit is reported once, without parsing the file a second time."""
    import salesplan.source as source

    monkeypatch.setattr(source, "MAX_NODES", 100_000)
    items = ["1"] * 200_000
    text = (
        "reps: [" + ",".join(items) + "]\n"
        if flow
        else "reps:\n" + "".join(f"- {i}\n" for i in items)
    )
    for marks in (True, False):
        doc = source.parse_yaml("org.yaml", text.encode(), marks)
        assert doc.data is None
        assert [(d.code, d.message) for d in doc.diagnostics] == [
            ("SP111", "more than 100,000 YAML values; split the file")
        ]

"""What salesplan writes stays inside the plan folder, and a path that cannot be written is
one plain line naming it (README "Safety"; docs/design.md, "Hostile inputs"): `init` through
a symlinked folder, a broken symlink or a file in the way; `-o` naming a folder; a full disk."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

RAW = ("Errno", "Traceback", ".tmp")  # Python's own error texts, a temp file's name


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def plain(text: str) -> bool:
    return not any(raw in text for raw in RAW)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    folder = tmp_path / "outside"
    folder.mkdir()
    return folder


# ---- init: nothing through a symlink leading out of the plan folder


@pytest.mark.parametrize("link", [".schemas", "submissions", "scenarios"])
def test_init_refuses_a_new_plan_with_a_folder_symlinked_out(
    cli, tmp_path: Path, outside: Path, link: str
) -> None:
    plan = tmp_path / "plan"
    plan.mkdir()
    (plan / link).symlink_to(outside)
    result = cli("init", plan)
    assert result.exit_code == 2, result.stderr
    assert f"{plan / link} is a symlink leading outside the plan folder" in result.stderr
    assert plain(result.stderr) and "--force" not in result.stderr
    assert files_under(outside) == []
    assert files_under(plan) == [link]  # nothing written at all


def test_init_force_refuses_a_folder_symlinked_out(cli, tmp_path: Path, outside: Path) -> None:
    plan = tmp_path / "plan"
    assert cli("init", plan).exit_code == 0
    before = {name: (plan / name).read_bytes() for name in ("org.yaml", "quotas.yaml")}
    for name in (plan / "submissions").iterdir():
        name.unlink()
    (plan / "submissions").rmdir()
    (plan / "submissions").symlink_to(outside)
    result = cli("init", plan, "--force")
    assert result.exit_code == 2 and "submissions is a symlink leading outside" in result.stderr
    assert files_under(outside) == []
    assert {name: (plan / name).read_bytes() for name in before} == before


@pytest.mark.parametrize("link", ["templates", "templates/submissions"])
def test_init_templates_refuses_a_folder_symlinked_out(
    cli, tmp_path: Path, outside: Path, link: str
) -> None:
    plan = tmp_path / "plan"
    assert cli("init", plan).exit_code == 0
    (plan / link).parent.mkdir(parents=True, exist_ok=True)
    (plan / link).symlink_to(outside)
    result = cli("init", plan, "--templates", "xlsx", "--force")
    assert result.exit_code == 2, result.stderr
    assert f"{plan / link} is a symlink leading outside" in result.stderr
    assert files_under(outside) == []


def test_init_refuses_a_file_symlinked_out(cli, tmp_path: Path, outside: Path) -> None:
    """A plan file that is a symlink leading out is refused as `allocate --write` refuses
    one (SP114), not replaced behind the user's back."""
    plan = tmp_path / "plan"
    assert cli("init", plan).exit_code == 0
    (outside / "org.yaml").write_text("precious\n")
    (plan / "org.yaml").unlink()
    (plan / "org.yaml").symlink_to(outside / "org.yaml")
    result = cli("init", plan, "--force")
    assert result.exit_code == 2 and f"{plan / 'org.yaml'} is a symlink leading" in result.stderr
    assert (plan / "org.yaml").is_symlink()
    assert (outside / "org.yaml").read_text() == "precious\n"


def test_init_through_a_symlink_inside_the_plan_is_fine(cli, tmp_path: Path) -> None:
    plan = tmp_path / "plan"
    (plan / "kept").mkdir(parents=True)
    (plan / "submissions").symlink_to("kept")
    result = cli("init", plan)
    assert result.exit_code == 0, result.stderr
    assert (plan / "kept" / "ana.yaml").is_file()


# ---- init: what stands in the way, in plain words


def test_init_names_a_broken_symlink(cli, tmp_path: Path) -> None:
    plan = tmp_path / "plan"
    plan.mkdir()
    (plan / "scenarios").symlink_to("nowhere")  # inside the plan, but not there
    result = cli("init", plan)
    assert result.exit_code == 2
    assert f"{plan / 'scenarios'} is a broken symlink" in result.stderr, result.stderr
    assert plain(result.stderr) and files_under(plan) == ["scenarios"]


def test_init_names_a_file_where_a_folder_goes(cli, tmp_path: Path) -> None:
    plan = tmp_path / "plan"
    plan.mkdir()
    (plan / "submissions").write_text("mine\n")
    for args in ((), ("--force",)):
        result = cli("init", plan, *args)
        assert result.exit_code == 2
        assert f"{plan / 'submissions'} is a file where a folder goes" in result.stderr
        assert plain(result.stderr) and "--force" not in result.stderr
    assert (plan / "submissions").read_text() == "mine\n"


def test_init_names_a_folder_where_a_file_goes(cli, tmp_path: Path) -> None:
    plan = tmp_path / "plan"
    (plan / "org.yaml").mkdir(parents=True)
    for args in ((), ("--force",)):
        result = cli("init", plan, *args)
        assert result.exit_code == 2
        assert f"{plan / 'org.yaml'} is a folder where a file goes" in result.stderr
        assert plain(result.stderr) and "--force" not in result.stderr


def test_init_into_a_broken_symlink(cli, tmp_path: Path) -> None:
    (tmp_path / "plan").symlink_to("gone")
    result = cli("init", tmp_path / "plan")
    assert result.exit_code == 2 and "is a broken symlink" in result.stderr, result.stderr
    assert plain(result.stderr)


# ---- -o naming a folder, a full disk


@pytest.fixture
def plan(cli, tmp_path: Path) -> Path:
    folder = tmp_path / "plan"
    assert cli("init", folder).exit_code == 0
    return folder


@pytest.mark.parametrize(
    "args",
    [
        ("report", "-f", "html"),
        ("report", "-f", "html", "--force"),
        ("report",),  # no suffix to tell the format from: it is a folder all the same
        ("reconcile",),
        ("reconcile", "--force"),
        ("schema", "org"),
        ("schema", "org", "--force"),
        ("scenarios", "-f", "json"),
        ("scenarios", "-f", "json", "--force"),
    ],
)
def test_output_naming_a_folder(cli, plan: Path, tmp_path: Path, args: tuple[str, ...]) -> None:
    command, *rest = args
    target = tmp_path / "out"
    target.mkdir()
    result = cli(command, *([] if command == "schema" else [plan]), "-o", target, *rest)
    assert result.exit_code == 2
    assert f"{target} is a folder; -o takes a file" in result.stderr, result.stderr
    assert plain(result.stderr) and "--force" not in result.stderr
    assert files_under(target) == [] and files_under(tmp_path).count("out") == 1


def test_a_write_over_a_folder_names_the_file_not_its_temp(cli, plan: Path, tmp_path: Path) -> None:
    """`schema -o DIR` (every schema) where DIR/org.schema.json is a folder."""
    (tmp_path / "out" / "org.schema.json").mkdir(parents=True)
    result = cli("schema", "-o", tmp_path / "out", "--force")
    assert result.exit_code == 2
    assert f"{tmp_path / 'out' / 'org.schema.json'}: it is a folder, not a file" in result.stderr, (
        result.stderr
    )
    assert plain(result.stderr)
    assert not [p for p in files_under(tmp_path / "out") if p.endswith(".tmp")]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")
@pytest.mark.parametrize(
    "args",
    [("report",), ("allocate", "-f", "json"), ("check", "-f", "json"), ("--help",), ("--version",)],
)
def test_a_full_disk_is_one_plain_line(plan: Path, args: tuple[str, ...]) -> None:
    """The output cannot be written: one line, exit 2, whether a command was running or
    not (`--help` is written while the arguments are parsed)."""
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "salesplan", *args, *([] if "-" in args[0] else [plan])],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    assert done.returncode == 2, done.stderr
    assert done.stderr == "salesplan: cannot write the output: no space left on the device\n"


# ---- SP114 for a default file at the file itself; SP113 with its subject


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("quotas.yaml", ("allocate", "--write")),
        ("adjustments.yaml", ("reconcile", "--accept")),
        ("accounts.csv", ("balance", "--write")),
    ],
)
def test_a_default_file_symlinked_out_is_reported_at_itself(
    cli, plan: Path, outside: Path, monkeypatch, name: str, args: tuple[str, ...]
) -> None:
    (outside / name).write_text("precious\n")
    (plan / name).unlink(missing_ok=True)
    (plan / name).symlink_to(outside / name)
    monkeypatch.chdir(plan)
    command, *rest = args
    result = cli(command, ".", *rest)
    assert result.exit_code == 1
    output = (result.stdout + result.stderr).splitlines()
    found = [line for line in output if " SP114 " in line]
    assert found and all(line.startswith(f"{name}:1:1: SP114 ") for line in found), found
    assert (outside / name).read_text() == "precious\n"


def test_a_named_file_symlinked_out_is_reported_at_its_key(
    cli, plan: Path, outside: Path, monkeypatch
) -> None:
    settings = plan / "salesplan.yaml"
    settings.write_text(settings.read_text() + "files: {quotas: q.yaml}\n")
    line = len(settings.read_text().splitlines())
    (plan / "q.yaml").symlink_to(outside / "q.yaml")
    monkeypatch.chdir(plan)
    result = cli("check", ".")
    assert f"salesplan.yaml:{line}:17: SP114 files.quotas 'q.yaml'" in result.stdout


def test_sp113_says_which_file(cli, plan: Path, monkeypatch) -> None:
    (plan / "submissions" / "zed.yaml").symlink_to(plan.parent / "elsewhere.yaml")
    monkeypatch.chdir(plan)
    result = cli("check", ".")
    assert (
        "submissions/zed.yaml:1:1: SP113 zed.yaml is a symlink leading outside the plan folder"
        in result.stdout
    ), result.stdout

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from salesplan import load_plan


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_init_writes_a_clean_plan(cli, tmp_path):
    result = cli("init", tmp_path / "x")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    check = cli("check", tmp_path / "x")
    assert check.exit_code == 0
    assert check.stdout == ""
    assert check.stderr == ""


def test_second_init_changes_nothing(cli, tmp_path):
    cli("init", tmp_path / "x")
    (tmp_path / "x" / "org.yaml").write_text("# mine\n")
    before = snapshot(tmp_path / "x")
    result = cli("init", tmp_path / "x")
    assert result.exit_code == 2  # a refused overwrite is a usage error
    assert "org.yaml" in result.stderr and "--force" in result.stderr
    assert snapshot(tmp_path / "x") == before


def test_init_force_overwrites_and_keeps_modes(cli, tmp_path):
    cli("init", tmp_path / "x")
    org = tmp_path / "x" / "org.yaml"
    org.write_text("# mine\n")
    os.chmod(org, 0o600)
    result = cli("init", tmp_path / "x", "--force")
    assert result.exit_code == 0
    assert org.read_text().startswith("# yaml-language-server")
    assert stat.S_IMODE(org.stat().st_mode) == 0o600


def test_example_has_what_the_issue_asks(example):
    loaded = load_plan(example)
    assert loaded.diagnostics == []
    plan = loaded.plan
    levels = [u.level for u in plan.org.units]
    assert levels.count("region") == 2 and levels.count("team") == 4
    assert 10 <= len(plan.org.reps) <= 14
    assert sum(r.status == "planned" for r in plan.org.reps) == 2
    assert any(r.quota is not None for r in plan.org.reps) or any(u.quota for u in plan.org.units)
    submitted = {e.rep for e in plan.submissions}
    assert 0 < len(submitted) < len(plan.org.reps)
    assert plan.settings.seasonality and plan.territories and plan.metric_rows


def test_yaml_files_point_at_local_schemas(example):
    for path in example.rglob("*.yaml"):
        first = path.read_text().splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema=")
        target = (path.parent / first.split("=", 1)[1]).resolve()
        assert target.is_file(), target
        json.loads(target.read_text())


def test_check_finds_plan_upward(cli, example, monkeypatch):
    (example / "submissions").mkdir(exist_ok=True)
    monkeypatch.chdir(example / "submissions")
    assert cli("check").exit_code == 0


def test_check_without_plan_is_usage_error(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = cli("check")
    assert result.exit_code == 2
    assert "no salesplan.yaml" in result.stderr


def test_version(cli):
    result = cli("--version")
    assert result.exit_code == 0 and result.stdout.startswith("salesplan ")

"""CI for plan repositories: the pre-commit hook, the workflows `init --ci` writes, the docs
that show them, and a plan repository run through `check` and `diff` as CI would."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gitrepo import (
    edit,
    git,
    git_env,  # noqa: F401  (an autouse fixture: git with a fixed config)
)
from salesplan.ci import WORKFLOWS, CiProvider, ci_files

ROOT = Path(__file__).parent.parent
HOOKS = ROOT / ".pre-commit-hooks.yaml"
DOCS = ROOT / "docs" / "ci.md"
SALESPLAN = Path(sys.executable).parent / "salesplan"


# ---- the pre-commit hook


def hook() -> dict:
    (only,) = yaml.safe_load(HOOKS.read_text())
    return only


def test_hook_runs_check_on_the_whole_plan():
    found = hook()
    assert found["id"] == "salesplan-check"
    assert found["language"] == "python"
    assert found["entry"] == "salesplan check"
    assert found["pass_filenames"] is False


@pytest.mark.parametrize(
    ("path", "matches"),
    [
        ("salesplan.yaml", True),
        ("org.yaml", True),
        ("plans/fy2027/territories.yaml", True),
        ("metrics.csv", True),
        ("quotas.yaml", True),
        ("submissions/ana.yaml", True),
        ("plans/fy2027/submissions/emea/q1.xlsx", True),
        ("submissions/emea-commercial.csv", True),
        ("adjustments.yaml", True),
        ("plans/fy2027/accounts.csv", True),
        ("reps.csv", True),
        ("territories.csv", True),
        ("scenarios/stretch.yaml", True),
        ("scenarios/README.md", False),
        ("README.md", False),
        ("myorg.yaml", False),
        ("submissions/README.md", False),
        ("docs/org.yaml.md", False),
        (".github/workflows/salesplan.yml", False),
    ],
)
def test_hook_files_pattern(path, matches):
    # pre-commit matches `files` with re.search on the repository-relative path
    assert bool(re.search(hook()["files"], path)) is matches


def test_hook_manifest_is_valid_for_pre_commit():
    clientlib = pytest.importorskip("pre_commit.clientlib")
    (loaded,) = clientlib.load_manifest(str(HOOKS))
    assert loaded["id"] == "salesplan-check" and loaded["pass_filenames"] is False


def test_hook_with_the_real_pre_commit(tmp_path, cli, monkeypatch):
    """The hook as pre-commit runs it, offline: the manifest's entry and files pattern in a
    local hook (language: system, so nothing is installed from the network)."""
    pytest.importorskip("pre_commit")
    if not SALESPLAN.is_file():
        pytest.skip("the salesplan script is not installed next to this Python")
    local = {**hook(), "language": "system"}
    config = {"repos": [{"repo": "local", "hooks": [local]}]}
    repo = tmp_path / "plan"
    assert cli("init", repo).exit_code == 0
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "cache"),
        "PATH": f"{SALESPLAN.parent}{os.pathsep}{os.environ['PATH']}",
    }

    def pre_commit(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "pre_commit", "run", *args]
        return subprocess.run(command, cwd=repo, env=env, capture_output=True, text=True)

    clean = pre_commit("--all-files")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "Passed" in clean.stdout
    git(repo, "commit", "-q", "-m", "plan")
    edit(repo / "README.md", "# Acme", "# ACME")
    git(repo, "add", "README.md")
    assert "Skipped" in pre_commit().stdout  # not a plan file
    edit(repo / "salesplan.yaml", "target: 12_800_000", "target: 13_000_000")
    git(repo, "add", "salesplan.yaml")
    stale = pre_commit()
    assert stale.returncode == 1
    assert "SP415" in stale.stdout  # quotas.yaml must be regenerated and staged


# ---- the workflows `init --ci` writes, and the docs that show them


@pytest.mark.parametrize("provider", list(CiProvider))
def test_init_ci_writes_the_workflow_once(cli, tmp_path, provider):
    target = tmp_path / "plan"
    path = target / WORKFLOWS[provider][0]
    result = cli("init", target, "--ci", provider.value)
    assert result.exit_code == 0, result.stderr
    assert path.read_bytes() == ci_files(provider)[WORKFLOWS[provider][0]]
    assert cli("check", target).exit_code == 0
    path.write_text("# mine\n")
    again = cli("init", target, "--ci", provider.value)
    assert again.exit_code == 2
    assert str(path) in again.stderr and "--force" in again.stderr
    assert path.read_text() == "# mine\n"
    assert cli("init", target, "--ci", provider.value, "--force").exit_code == 0
    assert path.read_text() != "# mine\n"


def test_init_without_ci_writes_no_workflow(cli, tmp_path):
    assert cli("init", tmp_path / "plan").exit_code == 0
    assert not (tmp_path / "plan" / ".github").exists()
    assert not (tmp_path / "plan" / ".gitlab-ci.yml").exists()


def test_github_workflow_runs_check_and_diff():
    workflow = yaml.safe_load(ci_files(CiProvider.github)[".github/workflows/salesplan.yml"])
    steps = workflow["jobs"]["plan"]["steps"]
    assert steps[0]["uses"].startswith("actions/checkout@")
    assert steps[0]["with"]["fetch-depth"] == 0
    assert steps[1]["uses"].startswith("actions/setup-python@")
    runs = [s.get("run", "") for s in steps]
    assert "salesplan check --format github" in runs
    diff = next(s for s in steps if "salesplan diff" in s.get("run", ""))
    assert diff["env"]["BASE_REF"] == "${{ github.base_ref }}"
    assert diff["run"].endswith('--format markdown >> "$GITHUB_STEP_SUMMARY"')


def yaml_blocks(markdown: str) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", markdown, flags=re.DOTALL)


def test_docs_show_the_workflows_init_writes():
    blocks = yaml_blocks(DOCS.read_text())
    for provider in CiProvider:
        for name, text in ci_files(provider).items():
            assert text.decode() in blocks, f"docs/ci.md is out of date for {name}"
    pre_commit = yaml.safe_load(blocks[-1])
    assert pre_commit["repos"][0]["hooks"][0]["id"] == hook()["id"]


# ---- a plan repository, as CI runs it


def workflow_runs() -> list[str]:
    workflow = yaml.safe_load(ci_files(CiProvider.github)[".github/workflows/salesplan.yml"])
    return [s["run"] for s in workflow["jobs"]["plan"]["steps"] if "salesplan " in s.get("run", "")]


def ci_step(run: str, repo: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """One `run:` of the workflow, in bash as GitHub runs it (-e, pipefail)."""
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", run],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
    )


def test_pull_request_as_ci_sees_it(cli, tmp_path):
    if not SALESPLAN.is_file() or shutil.which("bash") is None:
        pytest.skip("needs bash and the salesplan script")
    origin = tmp_path / "origin"
    assert cli("init", origin, "--ci", "github").exit_code == 0
    git(origin, "init", "-q", "-b", "main")
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "FY2027 plan")
    checkout = tmp_path / "checkout"
    git(tmp_path, "clone", "-q", str(origin), str(checkout))
    git(checkout, "switch", "-q", "-c", "raise-target")
    edit(checkout / "salesplan.yaml", "target: 12_800_000", "target: 13_000_000")
    edit(checkout / "org.yaml", "name: Ines Moreau", "name: Inès Moreau")
    git(checkout, "commit", "-q", "-am", "Raise the target; forgot to re-allocate")

    summary = tmp_path / "step-summary.md"
    env = {
        **os.environ,
        "PATH": f"{SALESPLAN.parent}{os.pathsep}{os.environ['PATH']}",
        "BASE_REF": "main",
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    check_run, diff_run = workflow_runs()
    check = ci_step(check_run, checkout, env)
    assert check.returncode == 1
    (annotation,) = check.stdout.splitlines()
    assert annotation.startswith("::error file=quotas.yaml,line=4,col=9,title=SP415 ")
    diff = ci_step(diff_run, checkout, env)  # runs even though the check failed
    assert diff.returncode == 0, diff.stderr
    assert diff.stdout == ""
    first, *rest = summary.read_text().splitlines()
    assert first == (
        "**salesplan diff** `origin/main` → `working tree`: target +200,000 (+1.6%); "
        "1 rep changed; 17 quotas moved; coverage 94.8% → 93.4%"
    )
    assert "| changed | ines | name | Ines Moreau | Inès Moreau |  |" in rest

    assert cli("allocate", checkout, "--write").exit_code == 0
    git(checkout, "commit", "-q", "-am", "Re-allocate")
    summary.unlink()
    check = ci_step(check_run, checkout, env)
    assert (check.returncode, check.stdout, check.stderr) == (0, "", "")
    assert ci_step(diff_run, checkout, env).returncode == 0
    assert summary.read_text().splitlines()[0] == first
    assert git(checkout, "status", "--porcelain") == ""


# ---- the approvals workflow, as GitHub runs it (with a `gh` that records its arguments)

APPROVALS = ".github/workflows/salesplan-approvals.yml"
GH_STUB = """#!{python}
import json, os, subprocess, sys

args = sys.argv[1:]
with open(os.environ["GH_LOG"], "a") as log:
    log.write(json.dumps(args) + "\\n")
if args[:1] == ["api"]:  # the reviews of the pull request, through the step's own --jq
    with open(os.environ["GH_REVIEWS"]) as reviews:
        page = reviews.read()
    jq = args[args.index("--jq") + 1]
    done = subprocess.run(["jq", "-r", jq], input=page, text=True, capture_output=True)
    sys.stdout.write(done.stdout)
    sys.exit(done.returncode)
"""


def approvals_steps() -> dict[str, dict]:
    workflow = yaml.safe_load(ci_files(CiProvider.github)[APPROVALS])
    job = workflow["jobs"]["approvals"]
    return {s.get("name", s.get("run", s.get("uses"))): s for s in job["steps"]}


def test_approvals_workflow_shape():
    workflow = yaml.safe_load(ci_files(CiProvider.github)[APPROVALS])
    triggers = workflow[True]  # PyYAML reads the key `on` as true
    assert set(triggers) == {"pull_request", "pull_request_review"}
    assert workflow["permissions"] == {"contents": "read", "pull-requests": "write"}
    job = workflow["jobs"]["approvals"]
    assert job["env"]["BASE_REF"] == "${{ github.event.pull_request.base.ref }}"
    steps = approvals_steps()
    assert steps["Ask the owners whose numbers moved to review"]["continue-on-error"] is True
    assert "run" in steps["Approved by every owner whose numbers moved"]
    assert "if" not in steps["Approved by every owner whose numbers moved"]
    assert job["steps"][0]["with"]["fetch-depth"] == 0


def test_pull_request_waits_for_its_owners(cli, tmp_path):
    if not SALESPLAN.is_file() or shutil.which("bash") is None or shutil.which("jq") is None:
        pytest.skip("needs bash, jq and the salesplan script")
    origin = tmp_path / "origin"
    assert cli("init", origin, "--ci", "github").exit_code == 0
    assert (origin / APPROVALS).read_bytes() == ci_files(CiProvider.github)[APPROVALS]
    git(origin, "init", "-q", "-b", "main")
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "FY2027 plan")
    checkout = tmp_path / "checkout"
    git(tmp_path, "clone", "-q", str(origin), str(checkout))
    git(checkout, "switch", "-q", "-c", "pins")
    edit(checkout / "org.yaml", "quota: 1_500_000 ", "quota: 1_600_000 ")  # AMER Enterprise
    edit(
        checkout / "org.yaml",
        "    ote: {base: 125_000",
        "    quota: 1_800_000\n    ote: {base: 125_000",
    )
    git(checkout, "commit", "-q", "-am", "Pins for Ana and Felix")

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "gh").write_text(GH_STUB.format(python=sys.executable))
    (bin_dir / "gh").chmod(0o755)
    log, reviews = tmp_path / "gh.log", tmp_path / "reviews.json"
    github_env, summary = tmp_path / "github-env", tmp_path / "summary.md"
    job = {  # the job's `env:`, as GitHub fills it in for pull request 7 by @priya-shah
        "GH_TOKEN": "token",
        "GH_REPO": "acme/plan",
        "PR": "7",
        "AUTHOR": "priya-shah",
        "BASE_REF": "main",
    }
    workflow = yaml.safe_load(ci_files(CiProvider.github)[APPROVALS])
    assert set(workflow["jobs"]["approvals"]["env"]) == set(job)
    env = {
        **os.environ,
        **job,
        "PATH": os.pathsep.join([str(bin_dir), str(SALESPLAN.parent), os.environ["PATH"]]),
        "GITHUB_ENV": str(github_env),
        "GITHUB_STEP_SUMMARY": str(summary),
        "GH_LOG": str(log),
        "GH_REVIEWS": str(reviews),
    }
    steps = approvals_steps()

    def run(name: str) -> subprocess.CompletedProcess[str]:
        done = ci_step(steps[name]["run"], checkout, env)
        for line in github_env.read_text().splitlines() if github_env.exists() else []:
            key, _, value = line.partition("=")  # what the runner does after each step
            env[key] = value
        return done

    def review(*states: tuple[str, str]) -> None:
        reviews.write_text(json.dumps([{"user": {"login": u}, "state": s} for u, s in states]))
        log.write_text("")

    def gh_calls() -> list[list[str]]:
        return [json.loads(line) for line in log.read_text().splitlines()]

    review()
    assert run("Approvals so far").returncode == 0
    assert env["APPROVED"] == "@priya-shah"  # nobody yet; the author's own change is theirs
    api, *_ = gh_calls()
    assert api[:3] == ["api", "--paginate", "repos/acme/plan/pulls/7/reviews"]
    ask = run("Ask the owners whose numbers moved to review")
    assert ask.returncode == 0, ask.stderr
    assert gh_calls()[-1] == [
        "pr",
        "edit",
        "7",
        "--add-reviewer",
        "claire-dubois,jonas-weber,sam-reed",
    ]
    check = run("Approved by every owner whose numbers moved")
    assert check.returncode == 1
    assert check.stderr.splitlines()[-1] == (
        "salesplan: missing approval from 2 of 2 owners: @sam-reed; @claire-dubois or @jonas-weber"
    )
    assert "| @sam-reed | `ana` +100,000" in summary.read_text()
    assert "⏳ missing" in summary.read_text()

    # Sam approves; Claire approved, then asked for changes; Jonas only commented.
    review(
        ("sam-reed", "APPROVED"),
        ("claire-dubois", "APPROVED"),
        ("jonas-weber", "COMMENTED"),
        ("claire-dubois", "CHANGES_REQUESTED"),
    )
    assert run("Approvals so far").returncode == 0
    assert sorted(env["APPROVED"].split(",")) == ["@priya-shah", "@sam-reed"]
    assert run("Ask the owners whose numbers moved to review").returncode == 0
    assert gh_calls()[-1][-1] == "claire-dubois,jonas-weber"  # Sam is not asked again
    check = run("Approved by every owner whose numbers moved")
    assert check.returncode == 1 and "2 owners: @claire-dubois or @jonas-weber" in check.stderr

    # Jonas, the region's owner, approves for EMEA Enterprise: every owner has approved.
    review(("sam-reed", "APPROVED"), ("jonas-weber", "APPROVED"))
    assert run("Approvals so far").returncode == 0
    summary.unlink()
    check = run("Approved by every owner whose numbers moved")
    assert (check.returncode, check.stderr) == (0, "")
    assert summary.read_text().count("✅ approved") == 2
    assert git(checkout, "status", "--porcelain") == "?? approvers.json\n?? reviews.txt\n"


# ---- a plan in a subfolder of a repository


def test_init_in_a_subfolder_writes_the_workflow_at_the_repository_root(cli, tmp_path):
    if not SALESPLAN.is_file() or shutil.which("bash") is None:
        pytest.skip("needs bash and the salesplan script")
    repo = tmp_path / "plans-repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    result = cli("init", repo / "plans" / "fy2027", "--ci", "github")
    assert result.exit_code == 0, result.stderr
    workflow_path = repo / ".github" / "workflows" / "salesplan.yml"
    assert workflow_path.is_file()
    assert not (repo / "plans" / "fy2027" / ".github").exists()  # GitHub would ignore it
    assert f"Wrote the CI workflow {os.path.relpath(workflow_path)}" in result.stderr
    workflow = yaml.safe_load(workflow_path.read_text())
    job = workflow["jobs"]["plan"]
    folder = job["defaults"]["run"]["working-directory"]
    assert folder == "plans/fy2027"
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "FY2027 plan")
    edit(repo / folder / "salesplan.yaml", "target: 12_800_000", "target: 13_000_000")
    env = {
        **os.environ,
        "PATH": f"{SALESPLAN.parent}{os.pathsep}{os.environ['PATH']}",
        "BASE_REF": "main",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
    }
    git(repo, "branch", "-q", "origin/main", "main")  # what the checkout's remote branch is
    runs = [s["run"] for s in job["steps"] if "salesplan " in s.get("run", "")]
    check_run, diff_run = runs
    check = ci_step(check_run, repo / folder, env)
    assert check.returncode == 1
    (annotation,) = check.stdout.splitlines()
    # the path from the repository root, so the annotation lands on the pull request's line
    assert annotation.startswith("::error file=plans/fy2027/quotas.yaml,line=4,col=9,")
    sarif = ci_step("salesplan check --format sarif", repo / folder, env)
    (found,) = json.loads(sarif.stdout)["runs"][0]["results"]
    uri = found["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "plans/fy2027/quotas.yaml"
    diff = ci_step(diff_run, repo / folder, env)
    assert diff.returncode == 0, diff.stderr
    assert "target +200,000" in (tmp_path / "summary.md").read_text()


def test_the_workflow_installs_what_the_readme_says():
    readme = (ROOT / "README.md").read_text()
    for provider in CiProvider:
        text = ci_files(provider)[WORKFLOWS[provider][0]]
        (install,) = re.findall(r'pip install "salesplan==([^"]+)"', text.decode())
        assert f'pip install "salesplan=={install}"' in DOCS.read_text()
    assert "pip install salesplan" in readme


def test_gitlab_job_for_a_plan_in_a_subfolder():
    job = yaml.safe_load(ci_files(CiProvider.gitlab, "plans/fy2027")[".gitlab-ci.yml"])["salesplan"]
    assert job["script"][0] == 'cd "plans/fy2027"'
    assert job["artifacts"]["paths"] == ["plans/fy2027/salesplan-diff.md"]
    assert ci_files(CiProvider.gitlab)[".gitlab-ci.yml"].decode() in DOCS.read_text()

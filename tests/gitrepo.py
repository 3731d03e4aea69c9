"""Real git repositories in tests: git that reads no user or system config and commits as a
fixed author at a fixed date, and the small edits the tests make between commits."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

GIT_ENV = {
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_OPTIONAL_LOCKS": "0",  # `git status` must not refresh the index
    "GIT_AUTHOR_NAME": "Plan Bot",
    "GIT_AUTHOR_EMAIL": "bot@acme.example",
    "GIT_COMMITTER_NAME": "Plan Bot",
    "GIT_COMMITTER_EMAIL": "bot@acme.example",
    "GIT_AUTHOR_DATE": "2027-01-15T12:00:00+00:00",
    "GIT_COMMITTER_DATE": "2027-01-15T12:00:00+00:00",
}


@pytest.fixture(autouse=True)
def git_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """GIT_ENV for every test of a module that imports this fixture."""
    for name, value in GIT_ENV.items():
        monkeypatch.setenv(name, value)


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return done.stdout


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} not once in {path}"
    path.write_text(text.replace(old, new))

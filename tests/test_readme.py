"""The README's tour runs as written: every `$ command` in its ```console blocks is run in
order in an empty folder, and its output must be exactly what the README shows.

SALESPLAN_UPDATE_GOLDEN=1 rewrites the outputs in the README instead of comparing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).parent.parent / "README.md"
BLOCK = re.compile(r"```console\n(.*?)```", re.DOTALL)
PYTHON = re.compile(r"```python\n(.*?)```", re.DOTALL)


def commands(block: str) -> list[tuple[str, str]]:
    """(command, expected output) pairs of one console block."""
    pairs: list[tuple[str, str]] = []
    for line in block.splitlines(keepends=True):
        if line.startswith("$ "):
            pairs.append((line[2:].rstrip("\n"), ""))
        elif pairs:
            command, output = pairs[-1]
            pairs[-1] = (command, output + line)
    return pairs


def run(command: str, folder: Path) -> str:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    env.pop("COLUMNS", None)
    done = subprocess.run(
        ["bash", "-c", command],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=60,
        check=False,
    )
    return done.stdout


def test_readme_tour(tmp_path: Path) -> None:
    text = README.read_text()
    update = os.environ.get("SALESPLAN_UPDATE_GOLDEN") == "1"
    new_text, mismatches = text, []
    for block in BLOCK.findall(text):
        rewritten = ""
        for command, expected in commands(block):
            actual = run(command, tmp_path)
            if actual and not actual.endswith("\n"):
                actual += "\n"
            rewritten += f"$ {command}\n{actual}"
            if actual != expected:
                mismatches.append(f"$ {command}\n--- README\n{expected}--- actual\n{actual}")
        new_text = new_text.replace(block, rewritten, 1)
    if update:
        README.write_text(new_text)
        return
    assert not mismatches, "\n".join(mismatches)
    assert BLOCK.findall(text), "the README has no console block"


def test_readme_python_examples_run(tmp_path: Path, monkeypatch) -> None:
    """The library examples run against a fresh example plan."""
    run("salesplan init acme-plan", tmp_path)
    monkeypatch.chdir(tmp_path)
    blocks = PYTHON.findall(README.read_text())
    assert blocks
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})


def test_readme_plan_example_is_what_init_writes() -> None:
    """The README's salesplan.yaml shows the values `salesplan init` writes (and documents
    `files:` with its defaults, which the example leaves out)."""
    import yaml

    from salesplan.scaffold import scaffold

    block = re.search(r"### salesplan.yaml\n\n```yaml\n(.*?)```", README.read_text(), re.DOTALL)
    assert block is not None
    shown = yaml.safe_load(block.group(1))
    written = yaml.safe_load(scaffold("acme").files["salesplan.yaml"])
    assert shown.pop("files") == {
        "org": "org.yaml",
        "territories": "territories.yaml",
        "metrics": "metrics.csv",
        "submissions": "submissions",
        "quotas": "quotas.yaml",
        "adjustments": "adjustments.yaml",
    }
    assert shown == written

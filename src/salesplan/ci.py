"""CI workflows for plan repositories, written by `salesplan init --ci PROVIDER`.

A workflow only runs from the root of its git repository (GitHub reads
`.github/workflows/` there and nowhere else), so for a plan in a subfolder of a repository
it is written at the repository's root and runs the commands in the plan's folder.
"""

from __future__ import annotations

import os
from enum import Enum
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from salesplan import __version__

if TYPE_CHECKING:
    from salesplan.scaffold import Scaffold


class CiProvider(str, Enum):
    github = "github"
    gitlab = "gitlab"


# provider -> (where the workflow goes in a repository, its template in templates/_ci)
WORKFLOWS = {
    CiProvider.github: (".github/workflows/salesplan.yml", "github.yml"),
    CiProvider.gitlab: (".gitlab-ci.yml", "gitlab.yml"),
}
# provider -> (the template line after which a subfolder's lines go, those lines)
IN_FOLDER = {
    CiProvider.github: (
        "    runs-on: ubuntu-latest\n",
        "    defaults:\n      run:\n        working-directory: {folder} # the plan's folder\n",
    ),
    CiProvider.gitlab: ("  script:\n", '    - cd "{folder}" # the plan\'s folder\n'),
}
ARTIFACT = "paths: [salesplan-diff.md]"  # GitLab artifacts are named from the repository root
VERSION = "SALESPLAN_VERSION"  # CI installs the release that wrote the workflow


# provider -> further workflows: on GitHub, the approvals check runs in a workflow of its own
# (it runs again on every review; a job skipped there would pass for the plan's check).
MORE_WORKFLOWS = {
    CiProvider.github: ((".github/workflows/salesplan-approvals.yml", "github-approvals.yml"),),
}


def ci_files(provider: CiProvider, folder: str = ".") -> dict[str, bytes]:
    """{path from the repository root: contents} of the CI workflows for `provider`, the
    main one first, for a plan in `folder` (a POSIX path from the repository root)."""
    workflows = [WORKFLOWS[provider], *MORE_WORKFLOWS.get(provider, ())]
    return {target: _workflow(provider, template, folder) for target, template in workflows}


def _workflow(provider: CiProvider, template: str, folder: str) -> bytes:
    from importlib import resources

    source = resources.files("salesplan") / "templates" / "_ci" / template
    text = source.read_text(encoding="utf-8").replace(VERSION, __version__.split("+")[0])
    if folder != ".":
        anchor, lines = IN_FOLDER[provider]
        assert anchor in text
        text = text.replace(anchor, anchor + lines.format(folder=folder), 1)
        text = text.replace(ARTIFACT, ARTIFACT.replace("[", f"[{folder}/"))
    return text.encode()


def repository_root(directory: Path) -> Path | None:
    """The root of the git working tree that holds (or will hold) `directory`, if any."""
    here = Path(os.path.abspath(directory))
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return None


def with_ci(
    files: Scaffold, provider: CiProvider | None, directory: Path
) -> tuple[Scaffold, Scaffold]:
    """What `init` writes into `directory`, and the CI workflow of `provider` (when one is
    asked for) by its absolute path: at the root of the enclosing git repository, else in
    `directory` itself (it will be the repository)."""
    from salesplan.scaffold import Scaffold

    if provider is None:
        return files, Scaffold({})
    root = repository_root(directory) or Path(os.path.abspath(directory))
    folder = PurePosixPath(Path(os.path.relpath(os.path.abspath(directory), root))).as_posix()
    workflow = {str(root / name): data for name, data in ci_files(provider, folder).items()}
    return files, Scaffold(workflow)

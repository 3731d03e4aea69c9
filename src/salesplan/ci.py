"""CI workflows for plan repositories, written by `salesplan init --ci PROVIDER`."""

from __future__ import annotations

from enum import Enum
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from salesplan.scaffold import Scaffold


class CiProvider(str, Enum):
    github = "github"
    gitlab = "gitlab"


# provider -> (where the workflow goes in a plan repository, its template in templates/_ci)
WORKFLOWS = {
    CiProvider.github: (".github/workflows/salesplan.yml", "github.yml"),
    CiProvider.gitlab: (".gitlab-ci.yml", "gitlab.yml"),
}


def ci_files(provider: CiProvider) -> dict[str, bytes]:
    """{relative path: contents} of the CI workflow for `provider`."""
    target, template = WORKFLOWS[provider]
    source = resources.files("salesplan") / "templates" / "_ci" / template
    return {target: source.read_bytes()}


def with_ci(files: Scaffold, provider: CiProvider | None) -> Scaffold:
    """What `init` writes, plus the CI workflow of `provider` (when one is asked for)."""
    from salesplan.scaffold import Scaffold

    if provider is None:
        return files
    return Scaffold({**files.files, **ci_files(provider)})

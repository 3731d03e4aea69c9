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


# provider -> further workflows: on GitHub, the approvals check runs in a workflow of its own
# (it runs again on every review; a job skipped there would pass for the plan's check).
MORE_WORKFLOWS = {
    CiProvider.github: ((".github/workflows/salesplan-approvals.yml", "github-approvals.yml"),),
}


def ci_files(provider: CiProvider) -> dict[str, bytes]:
    """{relative path: contents} of the CI workflows for `provider`, the main one first."""
    folder = resources.files("salesplan") / "templates" / "_ci"
    workflows = [WORKFLOWS[provider], *MORE_WORKFLOWS.get(provider, ())]
    return {target: (folder / template).read_bytes() for target, template in workflows}


def with_ci(files: Scaffold, provider: CiProvider | None) -> Scaffold:
    """What `init` writes, plus the CI workflow of `provider` (when one is asked for)."""
    from salesplan.scaffold import Scaffold

    if provider is None:
        return files
    return Scaffold({**files.files, **ci_files(provider)})

"""What an owner is (docs/design.md, "Approvers"), and the check that each `owner:` is one.

An owner approves changes by reviewing a pull request, so it must name someone a review can
come from: a GitHub handle (`@maria-lopez`), a team (`@acme/revops`), a login without its `@`
(`maria-lopez`, the handle `@maria-lopez`) or an email. Owners compare case-insensitively.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from salesplan.diagnostics import Diagnostic, report

if TYPE_CHECKING:
    from salesplan.model import Owners
    from salesplan.plan import Loc, Plan

# A GitHub login: letters, digits and single hyphens inside, at most 39 characters; a team
# is `org/team-slug`.
HANDLE = re.compile(r"@[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}(?:/[A-Za-z0-9_.-]{1,100})?")
# A valid email address as the WHATWG HTML standard defines it (input type=email).
EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*"
)


def owner_key(name: str) -> str:
    """How owners are compared: case-insensitively (GitHub logins and emails are), and a
    bare login (`maria`, as an approval may be passed in) is the handle `@maria`."""
    key = name.strip().casefold()
    return key if "@" in key else f"@{key}"


def is_handle(name: str) -> bool:
    """A GitHub user (`@maria-lopez`) or team (`@acme/revops`) handle."""
    return HANDLE.fullmatch(name) is not None


def is_owner(name: str) -> bool:
    """A handle, a team, a login without its `@`, or an email."""
    name = name.strip()
    return is_handle(name if name.startswith("@") else f"@{name}") or (
        EMAIL.fullmatch(name) is not None
    )


def owners_of(value: Owners | None) -> tuple[str, ...]:
    if value is None:
        return ()
    names = [value] if isinstance(value, str) else value
    return tuple(dict.fromkeys(n.strip() for n in names if n.strip()))


def check_owners(plan: Plan) -> Iterator[Diagnostic]:
    """SP206: an owner no review can come from (`Sam Reed`, `@sam <b>`), which would make
    the approvals check impossible to pass."""
    yield from _check("plan", ("owner",), plan.settings.owner, plan, "owner")
    for unit in plan.org.units:
        i = plan.unit_index[unit.id]
        yield from _check("org", ("units", i, "owner"), unit.owner, plan, f"units[{i}].owner")


def _check(role: str, at: Loc, value: Owners | None, plan: Plan, path: str) -> Iterator[Diagnostic]:
    if value is None:
        return
    names = (
        [(at, value)] if isinstance(value, str) else [((*at, k), v) for k, v in enumerate(value)]
    )
    for loc, name in names:
        if not is_owner(name):
            message = (
                f"owner {name.strip()!r} is not a GitHub handle (@login, @org/team) or an "
                "email: no review can ever approve for it"
            )
            yield report("SP206", message, plan.where(role, loc), path)

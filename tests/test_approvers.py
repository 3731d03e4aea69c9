"""`salesplan approvers`: who must approve a change, on real git repositories of the example
plan (root owner @dana-kim; regions @maria-lopez and @jonas-weber; teams @sam-reed,
@priya-shah, [@claire-dubois, @jonas-weber] and [@tom-berg, tom.berg@acme.example])."""

from __future__ import annotations

import json
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gitrepo import (
    edit,
    git,
    git_env,  # noqa: F401  (an autouse fixture: git with a fixed config)
)
from plan_strategies import PlanSpec, plan_specs, write_plan
from salesplan import load_plan
from salesplan.approvers import approvals
from salesplan.diff import diff_plans
from salesplan.owners import is_handle, owner_key
from salesplan.render.approvers import as_markdown, section
from salesplan.render.markdown import escape

ITEM_KEYS = {"id", "kind", "level", "old", "new", "delta"}


@pytest.fixture
def repo(cli, tmp_path, monkeypatch) -> Path:
    """The example plan committed on main; the current folder is the plan."""
    plan = tmp_path / "plan"
    assert cli("init", plan).exit_code == 0
    git(plan, "init", "-q", "-b", "main")
    git(plan, "add", "-A")
    git(plan, "commit", "-q", "-m", "The FY2027 plan")
    monkeypatch.chdir(plan)
    return plan


def change(repo: Path, name: str, old: str, new: str, message: str = "change") -> None:
    """Edit one file of the plan and commit it, as a pull request would."""
    edit(repo / name, old, new)
    git(repo, "commit", "-q", "-am", message)


def approvers_json(cli, *args: str, code: int = 0) -> dict:
    result = cli("approvers", *args, "--format", "json")
    assert result.exit_code == code, result.stderr
    return json.loads(result.stdout)


def needed(document: dict) -> dict[str, list[str]]:
    """{owner: [ids it must approve]}."""
    return {a["owner"]: [n["id"] for n in a["nodes"]] for a in document["approvers"]}


def test_a_target_change_needs_the_root_owner(cli, repo):
    change(repo, "salesplan.yaml", "target: 12_800_000", "target: 13_000_000")
    document = approvers_json(cli, "HEAD~1", "HEAD")
    assert set(document) >= {"approvers", "unowned"} and document["unowned"] == []
    first = document["approvers"][0]
    assert first["owner"] == "@dana-kim"
    target, *regions = first["nodes"]
    assert target == {
        "id": "target",
        "kind": "setting",
        "level": None,
        "old": "12800000.00",
        "new": "13000000.00",
        "delta": "200000.00",
    }
    assert [r["id"] for r in regions] == ["amer", "emea"]
    assert all(set(n) == ITEM_KEYS for a in document["approvers"] for n in a["nodes"])
    # Every quota moved, so every owner of a pool that was split again approves its split.
    assert needed(document)["@maria-lopez"] == ["amer-com", "amer-ent"]
    assert needed(document)["@sam-reed"] == ["ben", "tbh-amer-1"]  # ana is pinned


def test_moving_quota_between_two_reps_needs_their_team_owner_only(cli, repo):
    # Ana's pin comes down by what Ben's new pin takes: the team's pool is unchanged.
    change(repo, "org.yaml", "quota: 1_500_000 ", "quota: 1_450_000 ")
    edit(repo / "org.yaml", "start: 2023-09-01\n", "start: 2023-09-01\n    quota: 1_643_000\n")
    git(repo, "commit", "-q", "-am", "Ben takes a renewal from Ana")
    document = approvers_json(cli, "HEAD~2", "HEAD")
    assert needed(document) == {"@sam-reed": ["ana", "ben"]}
    (sam,) = document["approvers"]
    assert sam["nodes"][0] == {
        "id": "ana",
        "kind": "quota",
        "level": "rep",
        "old": "1500000.00",
        "new": "1450000.00",
        "delta": "-50000.00",
    }
    assert sam["nodes"][1]["delta"] == "50000.00"


def test_a_region_change_needs_the_root_owner_and_the_regions_owner(cli, repo):
    change(
        repo,
        "org.yaml",
        'level: region, owner: "@maria-lopez"}',
        'level: region, owner: "@maria-lopez", quota: 7_000_000}',
    )
    document = approvers_json(cli, "HEAD~1")  # HEAD~1 against the working tree (= HEAD)
    assert (document["from"], document["to"]) == ("HEAD~1", "working tree")
    who = needed(document)
    assert who["@dana-kim"] == ["amer", "emea"]  # the root's pool, split between regions
    assert who["@maria-lopez"] == ["amer-com", "amer-ent"]  # her children that moved
    assert who["@jonas-weber"] == ["emea-com", "emea-ent"]
    assert list(who)[:2] == ["@dana-kim", "@maria-lopez"]


def test_min_change_leaves_small_moves_out(cli, repo):
    change(repo, "salesplan.yaml", "target: 12_800_000", "target: 13_000_000")
    everything = needed(approvers_json(cli, "HEAD~1", "HEAD"))
    small = needed(approvers_json(cli, "HEAD~1", "HEAD", "--min-change", "0.02"))
    # The regions and teams moved 1.5-1.6%; Ben and the AMER hire 2.4% (Ana's pin holds).
    assert small == {"@dana-kim": ["target"], "@sam-reed": ["ben", "tbh-amer-1"]}
    assert len(everything) == 7
    assert needed(approvers_json(cli, "HEAD~1", "HEAD", "--min-change", "0.5")) == {
        "@dana-kim": ["target"]  # a setting always needs its approval
    }


def test_min_change_weighs_a_new_phasing_by_its_period_moves(cli, repo):
    """A seasonality tweak leaves every total alone and moves each quarter by about 1% of
    the year: the root's owner approves the setting; with --min-change 0.02 nobody else is
    asked about +0 totals, without it every parent's owner sees the new phasing."""
    change(repo, "salesplan.yaml", "seasonality: [20, 24, 26, 30]", "seasonality: [20, 25, 25, 30]")
    small = needed(approvers_json(cli, "HEAD~1", "HEAD", "--min-change", "0.02"))
    assert small == {"@dana-kim": ["seasonality"]}
    every = needed(approvers_json(cli, "HEAD~1", "HEAD"))
    assert len(every) > 1 and "ben" in every["@sam-reed"]


def test_require_names_every_missing_owner(cli, repo):
    change(repo, "org.yaml", "quota: 1_500_000 ", "quota: 1_600_000 ")
    edit(
        repo / "org.yaml",
        "    ote: {base: 125_000",
        "    quota: 1_800_000\n    ote: {base: 125_000",
    )
    git(repo, "commit", "-q", "-am", "Pins for Ana and Felix")
    missing = cli("approvers", "HEAD~2", "HEAD", "--require", "@priya-shah")
    assert missing.exit_code == 1
    last = missing.stderr.splitlines()[-1]
    assert last == (
        "salesplan: missing approval from 2 of 2 owners: @sam-reed; @claire-dubois or @jonas-weber"
    )
    document = approvers_json(cli, "HEAD~2", "HEAD", "--require", "@SAM-reed", code=1)
    assert document["missing"] == ["@claire-dubois"]
    assert [a["approved"] for a in document["approvers"]] == [True, False]
    # Any one of a list of owners approves for it; logins may come bare, as CI passes them.
    done = cli("approvers", "HEAD~2", "HEAD", "--require", "sam-reed,jonas-weber")
    assert (done.exit_code, done.stderr) == (0, "")
    repeated = cli("approvers", "HEAD~2", "HEAD", "--require", "@sam-reed", "--require", "")
    assert repeated.exit_code == 1 and "@claire-dubois or @jonas-weber" in repeated.stderr
    assert cli("approvers", "HEAD", "HEAD", "--require", "").exit_code == 0  # nothing to approve


def test_an_email_owner_is_only_satisfied_by_that_email(cli, repo):
    change(repo, "org.yaml", "name: Hana Novak\n", "name: Hana Novak\n    quota: 1_400_000\n")
    document = approvers_json(cli, "HEAD~1", "HEAD", "--require", "@tom.berg", code=1)
    assert document["approvers"][0]["alternates"] == ["tom.berg@acme.example"]
    ok = cli("approvers", "HEAD~1", "HEAD", "--require", "Tom.Berg@acme.example")
    assert ok.exit_code == 0


def test_changes_under_an_unowned_parent_are_listed_as_unowned(cli, repo):
    change(repo, "org.yaml", ', owner: "@priya-shah"}', "}", "AMER Commercial has no owner")
    change(repo, "metrics.csv", "dev,", "dev,1", "Dev's history")  # moves amer-com's reps
    result = cli("approvers", "HEAD~1", "HEAD", "--format", "json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert {"carla", "dev", "erin"} <= set(document["unowned"])
    assert not any(n["id"] == "dev" for a in document["approvers"] for n in a["nodes"])
    assert "salesplan: warning: " in result.stderr and "without an owner" in result.stderr
    # No owner can ever approve them: --require does not block on them (a warning only).
    everyone = ",".join(needed(document))
    assert cli("approvers", "HEAD~1", "HEAD", "--require", everyone).exit_code == 0


def test_owners_come_from_the_old_side(cli, repo):
    """A change cannot name its own approvers: moving quota inside a team while taking over
    its ownership needs the team's old owner, and the change of owner needs the region's."""
    edit(repo / "org.yaml", 'parent: amer, owner: "@sam-reed"}', 'parent: amer, owner: "@mallory"}')
    change(repo, "org.yaml", "quota: 1_500_000 ", "quota: 1_000_000 ", "Take over AMER Ent")
    who = needed(approvers_json(cli, "HEAD~1", "HEAD"))
    assert who == {"@sam-reed": ["ana", "ben", "tbh-amer-1"], "@maria-lopez": ["amer-ent"]}
    document = approvers_json(cli, "HEAD~1", "HEAD")
    owner_change = document["approvers"][1]["nodes"][0]
    assert owner_change == {
        "id": "amer-ent",
        "kind": "owner",
        "level": "team",
        "old": "@sam-reed",
        "new": "@mallory",
        "delta": None,
    }


def test_a_rep_moved_to_another_team_needs_both_owners(cli, repo):
    change(
        repo,
        "org.yaml",
        "parent: amer-com\n    start: 2024-06-03",
        "parent: amer-ent\n    start: 2024-06-03",
    )
    who = needed(approvers_json(cli, "HEAD~1", "HEAD"))
    assert "dev" in who["@priya-shah"] and "dev" in who["@sam-reed"]


def test_the_library_call(example, tmp_path):
    before = load_plan(example).plan
    edit(example / "salesplan.yaml", "target: 12_800_000", "target: 12_900_000")
    after = load_plan(example).plan
    assert before is not None and after is not None
    result = approvals(before, after, diff_plans(before, after))
    assert result.approvers[0].owners == ("@dana-kim",)
    assert result.uses_owners and not result.unowned
    assert result.missing(["@dana-kim"])[0].owner == "@maria-lopez"


def test_markdown_mentions_only_owner_handles(cli, repo):
    change(repo, "org.yaml", "name: Hana Novak\n", "name: Hana Novak\n    quota: 1_400_000\n")
    markdown = cli("approvers", "HEAD~1", "HEAD", "--format", "markdown").stdout
    row = "| @tom-berg or `tom.berg@acme.example` | `hana` -93,000, `ines` +93,000 |"
    assert row in markdown.splitlines()
    assert markdown.startswith("**salesplan approvers** `HEAD~1` → `HEAD`: 1 owner must approve")
    status = cli("approvers", "HEAD~1", "HEAD", "-f", "markdown", "--require", "tom-berg")
    assert "| owner | approves | status |" in status.stdout and "✅ approved" in status.stdout


def test_markdown_owner_text_cannot_break_out(example, tmp_path):
    before = load_plan(example).plan
    edit(example / "org.yaml", 'owner: "@sam-reed"}', 'owner: "x | <b>@eve</b> `y`"}')
    middle = load_plan(example).plan
    edit(example / "salesplan.yaml", "target: 12_800_000", "target: 12_900_000")
    after = load_plan(example).plan
    assert before is not None and middle is not None and after is not None
    text = section(approvals(middle, after, diff_plans(middle, after)))
    row = next(line for line in text.splitlines() if "x \\|" in line)
    assert row.startswith("| `` x \\| <b>@eve</b> `y` `` | ")  # a code span: no tag, no mention
    assert row.count(" | ") == 1  # the escaped pipe does not split the cell
    assert as_markdown(approvals(before, before, diff_plans(before, before))).endswith(
        "No change needs an approval.\n"
    )


def test_diff_tables_never_mention():
    assert escape("@everyone") == "@&#8203;everyone"
    assert escape("ping (@sam-reed)") == "ping (@&#8203;sam-reed)"
    assert escape("sam.reed@acme.example") == "sam.reed@&#8203;acme.example"  # no mailto link


def test_a_diff_comment_without_owners_has_no_approvals_section(cli, repo):
    edit(repo / "salesplan.yaml", 'owner: "@dana-kim"', "")
    text = (repo / "org.yaml").read_text()
    for handle in ("@maria-lopez", "@jonas-weber", "@sam-reed", "@priya-shah"):
        text = text.replace(f', owner: "{handle}"', "")
    text = text.replace(', owner: ["@claire-dubois", "@jonas-weber"]', "")
    (repo / "org.yaml").write_text(
        text.replace(', owner: ["@tom-berg", tom.berg@acme.example]', "")
    )
    git(repo, "commit", "-q", "-am", "No owners")
    change(repo, "salesplan.yaml", "target: 12_800_000", "target: 13_000_000")
    comment = cli("diff", "HEAD~1", "HEAD", "--format", "markdown").stdout
    assert "Approvals needed" not in comment and "Plan settings" in comment


def test_owner_values():
    assert owner_key("@Maria-Lopez") == owner_key("maria-lopez") == "@maria-lopez"
    assert owner_key("Maria@Acme.example") == "maria@acme.example"
    assert is_handle("@acme/revops") and is_handle("@a")
    assert not is_handle("maria@acme.example") and not is_handle("@-x") and not is_handle("@a b")


def test_an_owner_is_text_or_a_list_of_text(cli, example):
    edit(example / "org.yaml", 'owner: "@sam-reed"}', "owner: []}")
    edit(example / "org.yaml", 'owner: "@priya-shah"}', "owner: [priya@acme.example, 7]}")
    edit(example / "salesplan.yaml", 'owner: "@dana-kim"', "owner: 5")
    result = cli("check", example)
    assert result.exit_code == 1
    found = [line.split(": ", 1)[1] for line in result.stdout.splitlines() if "SP203" in line]
    assert found == [  # one error each, at the value, whichever shape it has
        "SP203 must not be empty",
        "SP203 expected text, got 7 (quote it)",
        "SP203 expected text, got 5 (quote it)",
    ]


def test_a_blank_owner_is_an_error_not_a_silent_unowned_unit(cli, example):
    edit(example / "org.yaml", 'owner: "@sam-reed"}', 'owner: ""}')
    edit(example / "org.yaml", 'owner: "@priya-shah"}', 'owner: ["@priya-shah", "  "]}')
    result = cli("check", example)
    assert result.exit_code == 1
    found = [line.split(": ", 1)[1] for line in result.stdout.splitlines() if "SP203" in line]
    assert found == ["SP203 must not be blank: name an owner, or remove the key"] * 2


def test_an_owner_no_review_can_come_from_is_sp206_at_its_value(cli, example):
    """`Dana Kim` or `@sam-reed <b>x</b>` can never approve (the workflow asks reviewers by
    login): `check` says so at the value, in a list at the item."""
    edit(example / "org.yaml", 'owner: "@sam-reed"}', 'owner: "@sam-reed <b>x</b>"}')
    edit(
        example / "org.yaml",
        'owner: ["@tom-berg", tom.berg@acme.example]',
        'owner: ["@tom-berg", "tom berg@acme", "@acme/emea_revops.x", tom-berg]',
    )
    edit(example / "salesplan.yaml", 'owner: "@dana-kim"', "owner: Dana Kim")
    result = cli("check", example)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    org = (example / "org.yaml").read_text().splitlines()
    found = [line.split(": ", 1) for line in lines if " SP206 " in line]
    assert [message for _, message in found] == [
        f"SP206 owner {name!r} is not a GitHub handle (@login, @org/team) or an email: no "
        "review can ever approve for it"
        for name in ("@sam-reed <b>x</b>", "tom berg@acme", "Dana Kim")
    ]
    for (place, _), value in zip(found, ('"@sam-reed', '"tom berg@acme"', "Dana Kim")):
        name, line, column = place.rsplit(":", 2)
        text = (example / name).read_text().splitlines()[int(line) - 1] if name else org[0]
        assert text[int(column) - 1 :].startswith(value), (place, text)


@pytest.mark.parametrize(
    "owner",
    [
        '"@maria-lopez"',
        "maria-lopez",
        '"@acme/rev-ops_2.0"',
        "maria.lopez+plans@acme.example",
        '["@a", b@c.example, "@org/team"]',
    ],
)
def test_handles_teams_logins_and_emails_are_owners(cli, example, owner):
    edit(example / "salesplan.yaml", 'owner: "@dana-kim"', f"owner: {owner}")
    result = cli("check", example)
    assert " SP206 " not in result.stdout, result.stdout


def test_sp206_stops_no_command_and_no_side_of_a_diff(cli, repo):
    """An owner that cannot approve moves no number: the commands run, and `approvers` still
    reads a base branch that has one (else the pull request fixing it could not pass)."""
    change(repo, "salesplan.yaml", 'owner: "@dana-kim"', "owner: Dana Kim")
    assert cli("allocate", "--write").exit_code == 0
    change(repo, "salesplan.yaml", "owner: Dana Kim", 'owner: "@dana-kim"', "fix the owner")
    document = approvers_json(cli, "HEAD~1", "HEAD", "--require", "@dana-kim", code=1)
    assert [a["owner"] for a in document["approvers"]] == ["Dana Kim"]
    assert cli("allocate", "--write").exit_code == 0
    assert cli("check").exit_code == 0


def test_the_same_owners_in_another_order_or_case_are_no_owner_change(cli, repo):
    change(
        repo,
        "org.yaml",
        'owner: ["@tom-berg", tom.berg@acme.example]',
        'owner: [Tom.Berg@acme.example, "@Tom-Berg"]',
        "Reorder the owners",
    )
    assert approvers_json(cli, "HEAD~1", "HEAD")["approvers"] == []


def test_text_fits_80_columns_without_cutting_digits(example):
    import io

    from salesplan.render import text
    from salesplan.render.approvers import fit, tables

    before = load_plan(example).plan
    edit(example / "org.yaml", 'owner: "@sam-reed"}', 'owner: "@sam-reed-the-second"}')
    edit(example / "salesplan.yaml", "target: 12_800_000", "target: 999_012_800_000")
    after = load_plan(example).plan
    assert before is not None and after is not None
    result = approvals(before, after, diff_plans(before, after))
    out = io.StringIO()
    shown_tables = [fit(t, 80) for t in tables(result, narrow=True)]
    text.render(shown_tables, 80, out)
    shown = out.getvalue()
    assert max(len(line) for line in shown.splitlines()) <= 80
    assert "999,012,800,000" in shown and "+999,000,000,000" in shown
    assert "amer-ent (owner)" in shown and "…" not in shown
    assert [c.header for c in shown_tables[0].columns] == ["id", "old", "new", "delta"]
    wide = tables(result)[0]  # what a wide terminal shows: nothing dropped
    assert fit(wide, 200) is wide and len(wide.columns) == 7


# ---- properties, over random plans


@st.composite
def owned_changes(draw: st.DrawFn) -> tuple[PlanSpec, set[str], int, dict[str, int | None]]:
    """A plan, the units (and root, "acme") that have an owner, a new target, new pins."""
    spec = draw(plan_specs())
    units = ["acme", *spec.regions, *(t for t, _ in spec.teams)]
    owned = set(draw(st.lists(st.sampled_from(units), unique=True)))
    target = draw(st.sampled_from([spec.target, spec.target + 1000, spec.target * 2]))
    pins = {r.id: draw(st.sampled_from([r.pin, None, 10_000])) for r in spec.reps}
    return spec, owned, target, pins


def _with_owners(folder: Path, owned: set[str]) -> None:
    org = folder / "org.yaml"
    text = org.read_text()
    for unit in owned - {"acme"}:
        text = text.replace(f"{{id: {unit}, level:", f'{{id: {unit}, owner: "@o-{unit}", level:')
    org.write_text(text)
    if "acme" in owned:
        with (folder / "salesplan.yaml").open("a") as plan:
            plan.write('owner: "@o-acme"\n')


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(owned_changes())
def test_every_moved_quota_goes_to_its_parents_owner_or_is_unowned(case):
    spec, owned, target, pins = case
    with tempfile.TemporaryDirectory() as folder:
        old_dir, new_dir = Path(folder) / "old", Path(folder) / "new"
        write_plan(spec, old_dir, "yaml")
        _with_owners(old_dir, owned)
        changed = replace(spec, target=target, reps=[replace(r, pin=pins[r.id]) for r in spec.reps])
        write_plan(changed, new_dir, "yaml")
        _with_owners(new_dir, owned)
        old, new = load_plan(old_dir).plan, load_plan(new_dir).plan
        assume(old is not None and new is not None)
        assert old is not None and new is not None
        result = approvals(old, new, diff_plans(old, new))

    listed = {(a.owner, i.id) for a in result.approvers for i in a.items if i.kind == "quota"}
    unowned = {i.id for i in result.unowned}
    before, after = old.allocation.by_id(), new.allocation.by_id()
    for node in new.tree.order[1:]:  # every node but the root
        moved = (before[node].total, before[node].periods) != (
            after[node].total,
            after[node].periods,
        )
        parent = new.tree[node].parent
        assert parent is not None
        if moved and parent in owned:
            assert (f"@o-{parent}", node) in listed
        elif moved:
            assert node in unowned
        else:
            assert not any(n == node for _, n in listed) and node not in unowned
    target_listed = any(i.id == "target" for a in result.approvers for i in a.items)
    assert target_listed == (target != spec.target and "acme" in owned)
    assert result.missing(f"@o-{u}" for u in owned) == ()
    assert result.missing([]) == result.approvers
    assert {a.owner for a in result.approvers} <= {f"@o-{u}" for u in owned}


def test_sides_that_cannot_be_read_or_have_errors(cli, repo):
    unknown = cli("approvers", "no-such-branch", "HEAD")
    assert unknown.exit_code == 2 and unknown.stderr.count("\n") == 1
    assert "unknown revision 'no-such-branch'" in unknown.stderr
    change(
        repo, "org.yaml", "parent: amer-ent\n    start: 2023", "parent: nowhere\n    start: 2023"
    )
    broken = cli("approvers", "HEAD~1", "HEAD")
    assert broken.exit_code == 1
    assert "SP302" in broken.stderr and "HEAD: the plan has errors" in broken.stderr

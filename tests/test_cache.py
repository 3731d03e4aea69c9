"""The cache of parsed files: a hit gives what a parse gives; anything odd is a miss."""

from __future__ import annotations

from pathlib import Path

import pytest

import salesplan.cache as cache
from salesplan import load_plan


@pytest.fixture
def small_files_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "CACHE_BYTES", 0)


def test_second_load_hits_the_cache_and_agrees(
    example: Path, private_cache: Path, small_files_cached
) -> None:
    first = load_plan(example)
    cache.flush()
    written = sorted(p.name for p in private_cache.glob("*.pickle"))
    assert written  # org, territories and the CSV submissions
    second = load_plan(example)
    assert second.diagnostics == first.diagnostics
    assert second.plan is not None and first.plan is not None
    assert second.plan.submissions == first.plan.submissions
    assert second.plan.allocation.nodes == first.plan.allocation.nodes
    assert second.plan.at_rep("ben", "parent") == first.plan.at_rep("ben", "parent")


def test_an_edited_file_misses(example: Path, private_cache: Path, small_files_cached) -> None:
    load_plan(example)
    cache.flush()
    org = example / "org.yaml"
    org.write_text(org.read_text().replace("parent: amer-ent\n", "parent: amer-entx\n", 1))
    codes = [d.code for d in load_plan(example).diagnostics]
    assert "SP302" in codes


def test_damaged_entries_are_misses(example: Path, private_cache: Path, small_files_cached) -> None:
    load_plan(example)
    cache.flush()
    for entry in private_cache.glob("*.pickle"):
        entry.write_bytes(b"not a pickle")
    assert load_plan(example).diagnostics == []


def test_off_means_off(example: Path, monkeypatch: pytest.MonkeyPatch, small_files_cached) -> None:
    monkeypatch.setenv("SALESPLAN_CACHE_DIR", "off")
    load_plan(example)
    cache.flush()
    assert cache.folder() is None

"""Counted nouns for people, one rule in every message: `1 error`, `2 errors`,
`2,089 warnings` (never `error(s)`, and thousands separated as amounts are)."""

from __future__ import annotations


def noun(count: int, word: str, plural: str | None = None) -> str:
    """`word` for `count` things: the singular for exactly one, else the plural (`word`
    + s unless given: `territories`)."""
    return word if count == 1 else plural or word + "s"


def counted(count: int, word: str, plural: str | None = None) -> str:
    """`count` `word`s: `1 error`, `0 warnings`, `2,089 warnings`."""
    return f"{count:,} {noun(count, word, plural)}"

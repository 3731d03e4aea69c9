"""The formats of `salesplan scenarios` (kept apart so that the CLI imports no engine)."""

from __future__ import annotations

from enum import Enum


class ScenariosFormat(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"
    xlsx = "xlsx"

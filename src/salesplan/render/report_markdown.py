"""The report as GitHub-flavoured Markdown, for a wiki page or a pull request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from salesplan.render.markdown import escape, table
from salesplan.render.report import tables

if TYPE_CHECKING:
    from salesplan.report import Report


def render(report: Report) -> str:
    lines = [
        f"# {escape(report.title)}: sales plan report",
        "",
        f"Fiscal year {report.year_start} to {report.year_end}, {escape(report.currency)}; "
        f"as of {report.as_of}. Quotas: {report.summary.quota_source}.",
        "",
    ]
    body = "\n".join(table(t, "##") for t in tables(report))
    return "\n".join(lines) + "\n" + body

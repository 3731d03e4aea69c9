"""Tables as CSV: exact numbers, one header row; several tables are separated by a blank line."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from salesplan.render.table import Table, raw


def render(tables: Sequence[Table]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for i, table in enumerate(tables):
        if i:
            out.write("\n")
        writer.writerow([c.header for c in table.columns])
        for row in table.rows:
            writer.writerow([raw(cell) for cell in row])
    return out.getvalue()

"""A table as CSV: exact numbers, one header row, one table per stream (`--table NAME`
picks another). Subtotal columns are for people and are left out."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from salesplan.render.table import ResultTable, raw


def render(tables: Sequence[ResultTable]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for table in tables[:1]:
        keep = [i for i, c in enumerate(table.columns) if not c.derived]
        writer.writerow([table.columns[i].key or table.columns[i].header for i in keep])
        for row in table.rows:
            writer.writerow([raw(row[i]) for i in keep])
    return out.getvalue()

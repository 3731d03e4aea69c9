"""The report as one self-contained HTML file: inline CSS and SVG, no script, nothing fetched.

Every piece of user text goes through `html.escape`. The page prints cleanly (A4 landscape,
no backgrounds lost, tables not cut through a row).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from salesplan import __version__
from salesplan.escape import html as escape
from salesplan.render.report import tables
from salesplan.render.report_shown import shown_level, shown_phasing
from salesplan.render.svg import WIDE, Series, bar_chart
from salesplan.render.table import Cell, Column, Money, Ratio, ResultTable, show
from salesplan.words import counted

if TYPE_CHECKING:
    from salesplan.report import Report

COVERAGE_TONES = ((Decimal("0.9"), "bad"), (Decimal(1), "warn"))  # else "good"

STYLE = """
:root{--ink:#1f2933;--muted:#616e7c;--line:#d9e2ec;--soft:#f5f7fa;--brand:#1e3a5f;
--good:#2f855a;--warn:#b7791f;--bad:#c53030;--quota:#1e3a5f;--forecast:#2a9d8f;
--capacity:#e9b949}
*{box-sizing:border-box}
body{margin:0;background:#eef2f6;color:var(--ink);
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
.page{max-width:1180px;margin:0 auto;padding:28px 32px 40px;background:#fff;min-height:100vh}
header.masthead{display:flex;justify-content:space-between;align-items:flex-end;gap:24px;
border-bottom:3px solid var(--brand);padding-bottom:14px;margin-bottom:22px}
.eyebrow{margin:0;text-transform:uppercase;letter-spacing:.08em;font-size:12px;
color:var(--muted);font-weight:600}
h1{margin:2px 0 4px;font-size:28px;line-height:1.2;color:var(--brand)}
.meta{margin:0;color:var(--muted)}
.asof{text-align:right;color:var(--muted);font-size:13px;white-space:nowrap}
.asof strong{display:block;color:var(--ink);font-size:16px}
h2{font-size:17px;margin:30px 0 10px;color:var(--brand);
border-bottom:1px solid var(--line);padding-bottom:4px}
.kpis{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));gap:12px}
.card{border:1px solid var(--line);border-left:4px solid var(--brand);border-radius:6px;
padding:10px 14px 12px;background:#fff}
.card.good{border-left-color:var(--good)}.card.warn{border-left-color:var(--warn)}
.card.bad{border-left-color:var(--bad)}
.card .label{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.05em}
.card .value{font-size:24px;font-weight:650;margin:2px 0;font-variant-numeric:tabular-nums}
.card .sub{font-size:12.5px;color:var(--muted)}
.alerts{margin:16px 0 0;padding:10px 14px 10px 32px;background:#fffaf0;
border:1px solid #f6e0b5;border-radius:6px}
.alerts li{margin:2px 0}
.charts{display:grid;grid-template-columns:1fr 1fr;gap:18px;margin-top:18px}
.charts figure.wide{grid-column:1/-1;overflow-x:auto}
.charts figure.wide svg.chart{min-width:720px}
.scroll{overflow-x:auto;max-width:100%}
table.data td.code{white-space:nowrap}
table.data td.free{overflow-wrap:anywhere;min-width:12ch}
figure{margin:0;border:1px solid var(--line);border-radius:6px;padding:10px 10px 4px}
figcaption{font-weight:600;font-size:13.5px;margin:0 0 2px 4px}
svg.chart{width:100%;height:auto;display:block}
svg .grid{stroke:#e4e7eb;stroke-width:1}svg .baseline{stroke:#9aa5b1;stroke-width:1}
svg text{font:11px system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;fill:#52606d}
svg .legend{fill:var(--ink)}
.s-quota{fill:var(--quota)}.s-forecast{fill:var(--forecast)}.s-capacity{fill:var(--capacity)}
table.data{border-collapse:collapse;width:100%;font-size:13px;margin:4px 0 6px}
table.data th{text-align:left;font-weight:600;color:var(--muted);font-size:12px;
text-transform:uppercase;letter-spacing:.03em;border-bottom:2px solid var(--line);
padding:6px 10px;white-space:nowrap}
table.data td{padding:5px 10px;border-bottom:1px solid #edf0f3}
table.data tbody tr:nth-child(even) td{background:var(--soft)}
table.data .num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.data tr.total td{font-weight:650;border-top:2px solid var(--ink);background:#fff}
td.good{color:var(--good)}td.warn{color:var(--warn)}td.bad{color:var(--bad)}
table.data.narrow{width:auto;min-width:55%}
td.flag{color:var(--warn);font-weight:600}
p.note{margin:2px 0;color:var(--muted);font-size:12.5px}
footer{margin-top:34px;padding-top:10px;border-top:1px solid var(--line);
color:var(--muted);font-size:12px}
@media (max-width:900px){.kpis{grid-template-columns:repeat(2,1fr)}
.charts{grid-template-columns:1fr}.page{padding:18px 16px 30px}
table.data td,table.data th{padding:4px 6px}}
@media print{@page{size:A4 landscape;margin:12mm}
body{background:#fff;font-size:11px}
.page{max-width:none;padding:0;min-height:0}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
.kpis{grid-template-columns:repeat(4,1fr);gap:8px}.charts{grid-template-columns:1fr 1fr}
h1{font-size:22px}header.masthead{margin-bottom:12px}
.card{padding:6px 10px 8px}.card .value{font-size:18px}.alerts{margin-top:10px}
svg.chart{max-height:60mm}
.card,figure,tr,.alerts,section{break-inside:avoid}
h2{break-after:avoid}
table.data{font-size:10.5px}thead{display:table-header-group}}
"""


def _date(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _tone(coverage: Decimal | None) -> str:
    if coverage is None:
        return ""
    return next((tone for limit, tone in COVERAGE_TONES if coverage < limit), "good")


def _money(report: Report, value: Decimal | None) -> str:
    return "–" if value is None else f"{value:,.{report.display_exponent}f}"


def _card(label: str, value: str, sub: str, tone: str = "") -> str:
    return (
        f'<div class="card {tone}"><div class="label">{escape(label)}</div>'
        f'<div class="value">{escape(value)}</div><div class="sub">{escape(sub)}</div></div>'
    )


def kpis(report: Report) -> str:
    s = report.summary

    def m(value: Decimal | None) -> str:
        return _money(report, value)

    over = s.over_assignment[-1].effective if s.over_assignment else Decimal(0)
    budget = f" of a {s.max_cost_of_sales:.0%} budget" if s.max_cost_of_sales is not None else ""
    cost = "–" if s.cost_of_sales is None else f"{s.cost_of_sales:.1%}"
    hires = "–" if s.hires_needed is None else str(s.hires_needed)
    expected = s.submitted + len(s.missing)
    cards = [
        _card(
            "Target", m(s.target), f"{report.currency}, fiscal year from {_date(report.year_start)}"
        ),
        _card("Rep quotas", m(s.rep_quotas), f"{over:+.1%} over-assigned"),
        _card(
            "Expected bookings",
            m(s.capacity),
            _pct(s.capacity_coverage, "of the target"),
            _tone(s.capacity_coverage),
        ),
        _card(
            "Bottom-up forecast",
            m(s.forecast),
            _pct(s.forecast_coverage, "of the target"),
            _tone(s.forecast_coverage),
        ),
        _card(
            "Forecast gap",
            m(s.forecast_gap),
            "target minus forecast",
            "bad" if (s.forecast_gap or 0) > 0 else "good",
        ),
        _card(
            "Hires needed",
            hires,
            "to close the gap between target and expected bookings",
            "good" if s.hires_needed == 0 else "warn",
        ),
        _card(
            "Cost of sales",
            cost,
            f"OTE {m(s.total_ote)}{budget}",
            "bad" if s.over_budget else "good",
        ),
        _card(
            "Submissions",
            f"{s.submitted} of {expected}",
            f"{len(s.missing)} missing" if s.missing else "every rep submitted",
            "warn" if s.missing else "good",
        ),
    ]
    return f'<section class="kpis">{"".join(cards)}</section>'


def _pct(value: Decimal | None, what: str) -> str:
    return "–" if value is None else f"{value:.1%} {what}"


def alerts(report: Report) -> str:
    s = report.summary
    items = []
    if s.quotas_file in {"stale", "edited by hand"}:
        items.append(f"quotas.yaml is {s.quotas_file}: run salesplan allocate --write.")
    if s.errors or s.warnings:
        items.append(
            f"{counted(s.errors, 'error')} and {counted(s.warnings, 'warning')}: run salesplan check."
        )
    if s.missing:
        shown = ", ".join(s.missing[:10]) + (" …" if len(s.missing) > 10 else "")
        items.append(f"Missing submissions: {shown}.")
    if s.over_budget:
        items.append("Cost of sales is above the budget.")
    if report.hybrid is not None and report.hybrid.flagged:
        flagged = counted(len(report.hybrid.flagged), "node")
        items.append(f"{flagged} flagged in the hybrid proposal.")
    if not items:
        return ""
    return '<ul class="alerts">' + "".join(f"<li>{escape(i)}</li>" for i in items) + "</ul>"


CHART_REPS = 24  # reps in the per-rep chart at most: the largest quotas


def _series(quota: str, rows: Sequence[tuple[Decimal | None, Decimal, Decimal]]) -> list[Series]:
    """The three series of every chart, always in this order and these colours."""
    return [
        Series(quota, "s-quota", [r[0] for r in rows]),
        Series("Expected bookings", "s-capacity", [r[1] for r in rows]),
        Series("Forecast", "s-forecast", [r[2] for r in rows]),
    ]


def _figure(caption: str, svg: str, wide: bool = False) -> str:
    kind = ' class="wide"' if wide else ""
    return f"<figure{kind}><figcaption>{escape(caption)}</figcaption>{svg}</figure>"


def charts(report: Report) -> str:
    """The charts, of the figures the tables show (carved: `report_shown`)."""
    e, unit = report.display_exponent, report.currency
    shown = {row.id: row for level in report.levels for row in shown_level(level, e)[0]}
    units = [shown[u.id] for u in report.chart_units]
    unit_title = f"Quota, expected bookings and forecast by {report.chart_level}"
    by_unit = bar_chart(
        unit_title,
        [u.name or u.id for u in units],
        _series("Quota", [(u.quota, u.capacity, u.forecast) for u in units]),
        e,
        unit,
    )
    periods = shown_phasing(report, e)
    period_title = "Target, expected bookings and forecast by period"
    by_period = bar_chart(
        period_title,
        list(period_labels(report)),
        _series("Target", [(p.target, p.capacity, p.forecast) for p in periods]),
        e,
        unit,
    )
    reps = sorted(report.reps, key=lambda r: (-r.total, r.id))[:CHART_REPS]
    reps.sort(key=report.reps.index)
    more = "" if len(reps) == len(report.reps) else f", the {len(reps)} largest quotas"
    rep_title = f"Quota, expected bookings and forecast by rep{more}"
    by_rep = bar_chart(
        rep_title,
        [r.id for r in reps],
        _series("Quota", [(r.total, shown[r.id].capacity, shown[r.id].forecast) for r in reps]),
        e,
        unit,
        width=WIDE,
    )
    return (
        '<section class="charts">'
        f"{_figure(f'{unit_title} ({unit})', by_unit)}"
        f"{_figure(f'{period_title} ({unit})', by_period)}"
        f"{_figure(f'{rep_title} ({unit})', by_rep, wide=True)}</section>"
    )


def period_labels(report: Report) -> list[str]:
    from salesplan.render.periods import labels

    return labels(report.calendar)


_SOURCES = {"quotas.yaml": "from quotas.yaml", "computed": "computed from the plan"}
NARROW_COLUMNS = 4  # tables this narrow do not stretch across the page
FLAG_COLUMNS = frozenset({"flag", "flags"})


def _td(cell: Cell, column: Column) -> str:
    classes = ["num"] if column.numeric else [_text_class(cell, column)]
    if isinstance(cell, Ratio) and cell.kind == "coverage" and cell.value is not None:
        classes.append(_tone(cell.value))
    if column.header in FLAG_COLUMNS and cell:
        classes.append("flag")
    text = show(cell)
    if isinstance(cell, (Money, Ratio)) and text.startswith("-"):
        text = "−" + text[1:]  # a true minus sign
    attr = f' class="{" ".join(classes)}"' if classes else ""
    return f"<td{attr}>{escape(text)}</td>"


def _text_class(cell: Cell, column: Column) -> str:
    """`code` for an id or a code (`amer-com`: never broken at its hyphen), `free` for a
    name or any long text, which wraps anywhere rather than push the numbers off the page."""
    text = show(cell)
    if (
        column.header not in FREE_TEXT
        and len(text) <= CODE_MAX
        and not any(c.isspace() for c in text)
    ):
        return "code"
    return "free"


FREE_TEXT = frozenset({"name", "description", "reason", "note"})
CODE_MAX = 32  # an unbroken text longer than this wraps anywhere


def table_html(t: ResultTable, heading: bool = True) -> str:
    head = "".join(
        f'<th class="num">{escape(c.header)}</th>' if c.numeric else f"<th>{escape(c.header)}</th>"
        for c in t.columns
    )
    body = []
    for row, strong in zip(t.rows, t.strong):
        cells = "".join(_td(cell, c) for cell, c in zip(row, t.columns))
        body.append(f'<tr class="total">{cells}</tr>' if strong else f"<tr>{cells}</tr>")
    notes = "".join(f'<p class="note">{escape(n)}</p>' for n in t.notes)
    title = f"<h2>{escape(t.title)}</h2>" if heading else ""
    kind = "data narrow" if len(t.columns) <= NARROW_COLUMNS else "data"
    return (
        f'{title}<div class="scroll"><table class="{kind}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>{notes}"
    )


def _sections(found: Sequence[ResultTable]) -> str:
    """Every table but the summary, which the cards above already show."""
    return "".join(f"<section>{table_html(t)}</section>" for t in found if t.title != "Summary")


def render(report: Report) -> str:
    name = escape(report.title)
    found = tables(report)
    meta = (
        f"Fiscal year {_date(report.year_start)} to {_date(report.year_end)} · "
        f"{escape(report.currency)} · {len(report.periods)} periods · "
        f"quotas {_SOURCES.get(report.summary.quota_source, escape(report.summary.quota_source))}"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{name}: sales plan report</title><style>{STYLE}</style></head>\n"
        '<body><main class="page">'
        '<header class="masthead"><div><p class="eyebrow">Sales plan report</p>'
        f'<h1>{name}</h1><p class="meta">{meta}</p></div>'
        f'<div class="asof">As of<strong>{_date(report.as_of)}</strong></div></header>\n'
        f"{kpis(report)}{alerts(report)}\n{charts(report)}\n{_sections(found)}"
        f"<footer>Generated by salesplan {escape(__version__)} from the plan "
        f"{escape(report.plan_id)}. Amounts in {escape(report.currency)}; exact figures in "
        "salesplan report --format json or xlsx.</footer>"
        "</main></body></html>\n"
    )

"""The territories of a report: each with its owner, potential and the owner's quota against
the potential they own, and the totals (open territories, potential nobody covers)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from salesplan.fiscal import ZERO
from salesplan.metrics import territory_metrics

if TYPE_CHECKING:
    from salesplan.allocate import Allocation
    from salesplan.plan import Plan


@dataclass(frozen=True, slots=True)
class TerritoryRow:
    id: str
    name: str | None
    owner: str | None
    owner_status: str  # "open" | "unknown" | "active" | "planned"
    segment: str | None
    potential: Decimal | None
    history: Decimal | None
    owner_quota: Decimal | None
    quota_share: Decimal | None  # owner's quota / potential of every territory they own


@dataclass(frozen=True, slots=True)
class TerritoryTotals:
    count: int
    open: int
    potential: Decimal | None  # None: no territory gives the metric
    history: Decimal | None
    open_potential: Decimal


def territory_rows(plan: Plan, quotas: Allocation) -> tuple[TerritoryRow, ...] | None:
    if plan.territories is None:
        return None
    metrics = territory_metrics(plan)
    owned_potential: dict[str, Decimal] = {}
    for t in plan.territories:
        if t.owner is not None:
            potential = metrics[t.id].get("potential", ZERO)
            owned_potential[t.owner] = owned_potential.get(t.owner, ZERO) + potential
    quota_of = {n.id: n.total for n in quotas.nodes}
    rows = []
    for t in plan.territories:
        owner = t.owner
        rep = plan.reps_by_id.get(owner) if owner is not None else None
        known = rep is not None and owner in plan.tree
        status = "open" if owner is None else (rep.status if known and rep else "unknown")
        quota = quota_of.get(owner) if owner is not None and known else None
        potential = owned_potential.get(owner or "", ZERO)
        rows.append(
            TerritoryRow(
                t.id,
                t.name,
                owner,
                status,
                t.segment,
                metrics[t.id].get("potential"),
                metrics[t.id].get("history"),
                quota,
                quota / potential if quota is not None and potential else None,
            )
        )
    return tuple(rows)


def territory_totals(rows: Sequence[TerritoryRow]) -> TerritoryTotals:
    open_rows = [r for r in rows if r.owner_status in {"open", "unknown"}]
    potentials = [r.potential for r in rows if r.potential is not None]
    histories = [r.history for r in rows if r.history is not None]
    return TerritoryTotals(
        len(rows),
        len(open_rows),
        sum(potentials, ZERO) if potentials else None,
        sum(histories, ZERO) if histories else None,
        sum((r.potential or ZERO for r in open_rows), ZERO),
    )

"""Who a CRM owner is in the plan: a rep matched by id, name or email (case, accents and
spacing ignored), through the user export when the CRM writes owner ids, or as import.yaml
`owners:` maps it. Never the closest name: that is only offered in the report."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field

from salesplan.importing.presets import fold
from salesplan.model import Rep

LEFT_OUT = "\0left-out"  # import.yaml maps the owner to null: not a rep, rows not counted


@dataclass
class Owners:
    keys: dict[str, str | None] = field(default_factory=dict)  # folded key -> rep (None: two reps)
    mapped: dict[str, str | None] = field(default_factory=dict)  # import.yaml, folded
    names: dict[str, str] = field(default_factory=dict)  # rep display name -> rep id
    reps: set[str] = field(default_factory=set)
    users: dict[str, tuple[str, str]] = field(default_factory=dict)  # user id -> name, email

    @classmethod
    def of(cls, reps: Iterable[Rep], mapped: dict[str, str | None]) -> Owners:
        found = cls(mapped={fold(k): v for k, v in mapped.items()})
        for rep in reps:
            found.reps.add(rep.id)
            found.names[rep.name or rep.id] = rep.id
            for key in {fold(rep.id), fold(rep.name or ""), fold(rep.email or "")} - {""}:
                found.keys[key] = rep.id if found.keys.get(key, rep.id) == rep.id else None
        return found

    def add_user(self, user_id: str, name: str, email: str) -> None:
        if user_id:
            self.users[user_id] = (name, email)

    def resolve(self, value: str) -> tuple[str | None, str]:
        """(rep id, LEFT_OUT or None; why not) for one owner cell."""
        candidates = [value]
        if value in self.users:
            candidates.extend(c for c in self.users[value] if c)
        for candidate in candidates:
            key = fold(candidate)
            if key in self.mapped:
                rep = self.mapped[key]
                if rep is None:
                    return LEFT_OUT, ""
                if rep in self.reps:
                    return rep, ""
                return None, f"import.yaml maps it to {rep!r}, which is not a rep of the plan"
        for candidate in candidates:
            key = fold(candidate)
            if key in self.keys:
                rep = self.keys[key]
                if rep is None:
                    return (
                        None,
                        f"{candidate!r} names more than one rep; map it in import.yaml `owners:`",
                    )
                return rep, ""
        return None, self.closest(candidates[-1] if len(candidates) > 1 else value)

    def closest(self, value: str) -> str:
        folded = {fold(name): name for name in self.names}
        close = difflib.get_close_matches(fold(value), list(folded), n=1, cutoff=0.6)
        if not close:
            return "no rep has a similar name"
        name = folded[close[0]]
        return f"closest rep: {name!r} ({self.names[name]})"

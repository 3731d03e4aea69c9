"""What each CRM's exports look like: the headers of its opportunity, account, user and
product exports (report labels and API names), its stages and forecast categories.

A preset maps CRM headers onto the fields salesplan reads; `detect` picks the preset and the
kind of export from a file's header row. Nothing here reads a file or imports pandas.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal, get_args

# The fields of an opportunity. `closed_amount`/`closed_date` (Dynamics' actual value and
# actual close date) replace `amount`/`close_date` on won and lost rows when present.
OpportunityField = Literal[
    "id",
    "owner",
    "owner_id",
    "owner_email",
    "amount",
    "closed_amount",
    "close_date",
    "closed_date",
    "stage",
    "category",
    "won",
    "closed",
    "state",
    "account",
    "account_id",
    "currency",
    "pipeline",
    "product",
]
FIELDS: tuple[str, ...] = get_args(OpportunityField)
ACCOUNT_FIELDS = ("id", "name", "owner", "owner_id", "owner_email")
USER_FIELDS = ("id", "name", "first_name", "last_name", "email")
PRODUCT_FIELDS = ("name",)
CATEGORIES = ("commit", "best_case", "pipeline", "omitted")
STATUSES = ("won", "lost", "open")


@dataclass(frozen=True)
class Stage:
    status: str  # won | lost | open
    category: str | None = None  # for open stages: commit | best_case | pipeline | omitted


@dataclass(frozen=True)
class Preset:
    name: str
    opportunities: dict[str, tuple[str, ...]]
    accounts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    users: dict[str, tuple[str, ...]] = field(default_factory=dict)
    products: dict[str, tuple[str, ...]] = field(default_factory=dict)
    stages: dict[str, Stage] = field(default_factory=dict)  # by folded stage name
    categories: dict[str, str] = field(default_factory=dict)  # folded CRM value -> category
    states: dict[str, str] = field(default_factory=dict)  # folded state value -> status
    # Open opportunities whose stage has no category and that carry none themselves.
    default_category: str | None = None


def fold(text: str) -> str:
    """The key two spellings of one name share: case, accents and spacing ignored."""
    if text.isascii():
        return " ".join(text.casefold().split())
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


def squash(text: str) -> str:
    """`fold` without any punctuation or space: `GTXPro` and `GTX Pro` squash alike."""
    if text.isascii():
        return _NOT_ALNUM.sub("", text.lower())
    return "".join(c for c in fold(text) if c.isalnum())


_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


_SF_CATEGORIES = {
    "commit": "commit",
    "best case": "best_case",
    "bestcase": "best_case",
    "pipeline": "pipeline",
    "omitted": "omitted",
    "closed": "omitted",  # closed rows are won or lost; the category is not used
}

SALESFORCE = Preset(
    "salesforce",
    opportunities={
        "id": ("Opportunity ID", "Id", "Opportunity Id", "18-digit Opportunity ID"),
        "owner": ("Opportunity Owner", "Owner Name", "Owner Full Name", "Owner.Name"),
        "owner_id": ("OwnerId", "Owner ID", "Opportunity Owner ID"),
        "owner_email": ("Owner Email", "Opportunity Owner: Email", "Owner.Email"),
        "amount": ("Amount",),
        "close_date": ("Close Date", "CloseDate"),
        "stage": ("Stage", "StageName"),
        "category": ("Forecast Category", "ForecastCategoryName", "ForecastCategory"),
        "won": ("Won", "IsWon"),
        "closed": ("Closed", "IsClosed"),
        "account": ("Account Name", "Account.Name"),
        "account_id": ("AccountId", "Account ID"),
        "currency": ("Opportunity Currency", "Currency", "CurrencyIsoCode", "Amount Currency"),
        "product": ("Product Name", "Product"),
    },
    accounts={
        "id": ("Account ID", "Id"),
        "name": ("Account Name", "Name"),
        "owner": ("Account Owner", "Owner Name"),
        "owner_id": ("OwnerId", "Owner ID"),
    },
    users={
        "id": ("User ID", "Id"),
        "name": ("Full Name", "Name"),
        "first_name": ("First Name", "FirstName"),
        "last_name": ("Last Name", "LastName"),
        "email": ("Email",),
    },
    products={"name": ("Product Name", "Name")},
    stages={
        fold(name): Stage("open", "pipeline")
        for name in (
            "Prospecting",
            "Qualification",
            "Needs Analysis",
            "Value Proposition",
            "Id. Decision Makers",
            "Perception Analysis",
            "Proposal/Price Quote",
            "Negotiation/Review",
        )
    }
    | {"closed won": Stage("won"), "closed lost": Stage("lost")},
    categories=_SF_CATEGORIES,
)

HUBSPOT = Preset(
    "hubspot",
    opportunities={
        "id": ("Record ID", "Deal ID"),
        "owner": ("Deal owner", "Deal Owner", "HubSpot Owner"),
        "owner_id": ("Deal owner ID", "HubSpot Owner ID", "hubspot_owner_id"),
        "amount": ("Amount", "amount"),
        "close_date": ("Close date", "Close Date", "closedate"),
        "stage": ("Deal stage", "Deal Stage", "dealstage"),
        "category": ("Forecast category", "Forecast Category", "hs_manual_forecast_category"),
        "pipeline": ("Pipeline", "pipeline"),
        "account": (
            "Associated company",
            "Associated Company",
            "Associated Company (Primary)",
            "Company name",
        ),
        "account_id": ("Associated Company IDs", "Associated Company ID", "Company ID"),
        "currency": ("Currency", "Deal currency code", "deal_currency_code"),
    },
    accounts={
        "id": ("Record ID", "Company ID"),
        "name": ("Company name", "Name"),
        "owner": ("Company owner", "Company Owner"),
    },
    users={
        "id": ("Owner ID", "User ID", "ID"),
        "first_name": ("First Name", "First name"),
        "last_name": ("Last Name", "Last name"),
        "email": ("Email",),
    },
    products={"name": ("Product name", "Name")},
    stages={
        fold(name): Stage("open")
        for name in (
            "Appointment scheduled",
            "Qualified to buy",
            "Presentation scheduled",
            "Decision maker bought-in",
            "Contract sent",
        )
    }
    | {"closed won": Stage("won"), "closed lost": Stage("lost")},
    categories={
        "commit": "commit",
        "best case": "best_case",
        "pipeline": "pipeline",
        "not forecasted": "omitted",
        "omit": "omitted",
        "closed won": "omitted",
    },
    default_category="pipeline",
)

DYNAMICS = Preset(
    "dynamics",
    opportunities={
        "id": ("opportunityid", "(Do Not Modify) Opportunity"),
        "owner": ("Owner", "owneridname"),
        "owner_id": ("ownerid",),
        "amount": ("estimatedvalue", "Est. Revenue"),
        "closed_amount": ("actualvalue", "Actual Revenue"),
        "close_date": ("estimatedclosedate", "Est. Close Date"),
        "closed_date": ("actualclosedate", "Actual Close Date"),
        "state": ("statecode", "Status"),
        "stage": ("stepname", "Pipeline Phase"),
        "category": ("msdyn_forecastcategory", "Forecast Category"),
        "account": ("Account", "parentaccountidname", "Potential Customer"),
        "account_id": ("parentaccountid",),
        "currency": ("transactioncurrencyid", "Currency", "isocurrencycode"),
    },
    accounts={
        "id": ("accountid", "(Do Not Modify) Account"),
        "name": ("name", "Account Name"),
        "owner": ("Owner", "owneridname"),
        "owner_id": ("ownerid",),
    },
    users={
        "id": ("systemuserid", "(Do Not Modify) User"),
        "name": ("fullname", "Full Name"),
        "email": ("internalemailaddress", "Primary Email"),
    },
    products={"name": ("name", "Product Name")},
    states={"0": "open", "open": "open", "1": "won", "won": "won", "2": "lost", "lost": "lost"},
    categories={
        "100000001": "pipeline",
        "pipeline": "pipeline",
        "100000002": "best_case",
        "best case": "best_case",
        "100000003": "commit",
        "committed": "commit",
        "commit": "commit",
        "100000004": "omitted",
        "omitted": "omitted",
        "100000005": "omitted",  # won
        "won": "omitted",
        "100000006": "omitted",  # lost
        "lost": "omitted",
    },
    default_category="pipeline",
)

# generic: a column named as the field is that field (`close_date`, `Close Date`); import.yaml
# `columns:` maps the others
GENERIC = Preset("generic", opportunities={name: (name, name.replace("_", " ")) for name in FIELDS})

PRESETS: dict[str, Preset] = {p.name: p for p in (SALESFORCE, HUBSPOT, DYNAMICS, GENERIC)}
KINDS = ("opportunities", "accounts", "users", "products")
# What an opportunity export must have, each a choice of fields.
REQUIRED: tuple[tuple[str, ...], ...] = (
    ("owner", "owner_id", "owner_email"),
    ("amount",),
    ("close_date",),
    ("stage", "won", "state"),
)


def columns_of(preset: Preset, kind: str) -> dict[str, tuple[str, ...]]:
    return dict(getattr(preset, kind))


def match_columns(header: Sequence[str], aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """field -> the header naming it: the first alias written exactly, else one that folds
    to the same key (`close date` for `Close Date`)."""
    exact = set(header)
    folded = {fold(h): h for h in reversed(header)}
    found: dict[str, str] = {}
    for name, names in aliases.items():
        hit = next((a for a in names if a in exact), None)
        if hit is None:
            hit = next((folded[fold(a)] for a in names if fold(a) in folded), None)
        if hit is not None and hit not in found.values():
            found[name] = hit
    return found


def missing_fields(found: dict[str, str]) -> list[str]:
    """The required choices an opportunity export's columns leave open."""
    return [" or ".join(choice) for choice in REQUIRED if not any(f in found for f in choice)]


def not_recognised(header: Sequence[str], name: str, aliases: dict[str, tuple[str, ...]]) -> str:
    """SP702's message for a file no export of preset `name` (None: any) matches, `aliases`
    being the opportunity columns it knows (import.yaml `columns:` included): what an
    opportunity export lacks, and what to do with an export of another kind, which
    `columns:` cannot map."""
    found = match_columns(header, aliases)
    lacks = [
        choice[0] + (f" (or {', '.join(choice[1:])})" if len(choice) > 1 else "")
        for choice in REQUIRED
        if not any(f in found for f in choice)
    ]
    return (
        f"no {name} export has these columns ({', '.join(map(repr, header[:12]))}); "
        f"as an opportunity export no column of it is mapped to {', '.join(lacks)}: "
        "map them in import.yaml "
        "`columns:`; `columns:` maps opportunity fields only, so an account, user or product "
        "export needs its CRM's headers (salesforce, hubspot, dynamics), or leave it out: "
        "the accounts come from the opportunities' account column"
    )


@dataclass(frozen=True)
class Detected:
    preset: Preset
    kind: str
    columns: dict[str, str]  # field -> header


def detect(header: Sequence[str], preset: Preset | None = None) -> Detected | None:
    """The preset and kind of export whose headers this header row matches best. An
    opportunity export needs every required field; the others need an id or a name."""
    candidates = (
        [preset] if preset is not None else [p for p in PRESETS.values() if p.name != "generic"]
    )
    best: tuple[int, int, Detected] | None = None
    for rank, candidate in enumerate(candidates):
        for kind_rank, kind in enumerate(KINDS):
            found = match_columns(header, columns_of(candidate, kind))
            if kind == "opportunities" and missing_fields(found):
                continue
            if kind != "opportunities" and not ({"id", "name"} & set(found)):
                continue
            score = (len(found), -rank * 10 - kind_rank)
            if best is None or score > best[:2]:
                best = (*score, Detected(candidate, kind, found))
    return best[2] if best is not None else None

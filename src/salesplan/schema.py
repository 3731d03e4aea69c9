"""JSON Schemas of the plan files, generated from the models, for editors."""

from __future__ import annotations

import json
from typing import Any

from salesplan.model import SCHEMAS

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of one kind of file: plan, org, territories, submission, quotas
    or scenario."""
    model = SCHEMAS[kind]
    schema = model.model_json_schema(mode="validation")
    return {"$schema": SCHEMA_DIALECT, **schema}


def schema_files() -> dict[str, str]:
    """`<kind>.schema.json` file name -> its text, for every kind."""
    return {
        f"{kind}.schema.json": json.dumps(json_schema(kind), indent=2) + "\n" for kind in SCHEMAS
    }

"""The JSON Schema (draft 2020-12) of a HILT event, as HILT writes it.

    from hilt.schema import load_schema, validate_event
    validate_event(event_dict)  # raises jsonschema.ValidationError if the event breaks the format

The schema file ships in the package (``hilt/schema/event.schema.json``). :func:`validate_event` needs
the ``jsonschema`` package, which is a test/optional dependency (``pip install jsonschema``, or the
``hilt[test]`` extra), not a runtime one: it is imported on the first call, never when ``hilt`` is
imported. HILT itself never validates events while logging.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

__all__ = ["SCHEMA_FILE", "load_schema", "validate_event"]

SCHEMA_FILE = "event.schema.json"


@lru_cache(maxsize=1)
def _schema_text() -> str:
    return resources.files(__name__).joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


def load_schema() -> dict[str, Any]:
    """The HILT event JSON Schema as a new dict (callers may change it freely)."""
    schema: dict[str, Any] = json.loads(_schema_text())
    return schema


@lru_cache(maxsize=1)
def _validator() -> Any:
    try:
        import jsonschema
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "hilt.schema.validate_event needs the optional 'jsonschema' package: pip install jsonschema"
        ) from exc
    schema = load_schema()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_event(event: dict[str, Any]) -> None:
    """Check one event (a dict in its on-disk shape) against the schema.

    Raises ``jsonschema.ValidationError`` (the most relevant error) when the event is invalid, and
    ``ImportError`` when ``jsonschema`` is not installed.
    """
    _validator().validate(event)

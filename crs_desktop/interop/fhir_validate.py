"""Structure validation of one FHIR resource with fhir.resources (its R4B models).

fhir.resources 8 is FHIR R5 by default; its R4B subpackage is the nearest to R4
(4.0.1) that runs on pydantic 2, and R4 vital-signs Observations validate under it.
Loaded on first use: the window and the other commands never pay for it.
"""

from __future__ import annotations

import functools
from typing import Any

# The resources this app writes or reads (others in a Bundle are left alone).
KNOWN_TYPES = ("Patient", "Observation", "MedicationAdministration", "Task", "Bundle")
_SHOWN_ERRORS = 3


@functools.cache
def _model(resource_type: str) -> Any:
    from fhir.resources.R4B import get_fhir_model_class

    return get_fhir_model_class(resource_type)


def structure_problem(resource: dict[str, Any]) -> str | None:
    """None if fhir.resources (R4B) accepts the resource, else what it refuses, in brief."""
    from pydantic import ValidationError

    kind = resource.get("resourceType")
    if kind not in KNOWN_TYPES:
        return f"resourceType {str(kind)[:40]!r} is not one of {', '.join(KNOWN_TYPES)}"
    try:
        _model(kind).model_validate(resource)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        shown = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])[:80] or kind}: {str(e['msg'])[:120]}"
            for e in errors[:_SHOWN_ERRORS]
        )
        more = f" (and {len(errors) - _SHOWN_ERRORS} more)" if len(errors) > _SHOWN_ERRORS else ""
        return f"not a valid FHIR R4 {kind}: {shown}{more}"
    except (TypeError, ValueError, RecursionError) as exc:  # input no model can take
        return f"not a valid FHIR R4 {kind}: {type(exc).__name__}"
    return None

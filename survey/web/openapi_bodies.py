"""JSON Schemas of the API's answers that no request model describes (OpenAPI components)."""

from __future__ import annotations

from typing import Any

_INT = {"type": "integer", "minimum": 0}
_TEXT = {"type": "string"}
_NULLABLE_NUMBER = {"type": ["number", "null"]}
_ROWS = {"type": "array", "items": {"type": "object"}}


def _object(required: dict[str, Any], **optional: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {**required, **optional},
        "required": list(required),
    }


PROBLEM = {
    **_object(
        {"title": _TEXT, "status": {"type": "integer", "minimum": 400, "maximum": 599}},
        type=_TEXT,
        detail=_TEXT,
        scope={**_TEXT, "description": "on 403: the scope the key lacks"},
        rule={**_TEXT, "description": "on a report's 400: the disclosure rule broken"},
        invalid_params={"type": "array", "items": _object({"name": _TEXT}, reason=_TEXT)},
        errors={
            "type": "array",
            "description": (
                "on 422: each invalid field ({field, message}), or for contacts each invalid "
                "item ({index, errors: [{field, message}]})"
            ),
            "items": {"type": "object"},
        },
    ),
    "description": "RFC 9457 problem details",
}

OPT_OUT_RECORDED = _object(
    {"recorded": {**_INT, "description": "identifiers whose opt-out was recorded"}}
)

CUSTOMER_EXPORT = {
    **_object(
        {
            "identifier": {"enum": ["phone", "email", "ref"]},
            "contacts": {**_ROWS, "description": "the customer's contacts, as stored"},
            "surveys": _ROWS,
            "responses": _ROWS,
            "follow_ups": {
                **_ROWS,
                "description": "follow-ups of answers whose customer asked to be contacted",
            },
            "opt_outs": {
                "type": "array",
                "items": _object(
                    {
                        "opted_out": {"type": "boolean"},
                        "source": _TEXT,
                        "at": {**_TEXT, "format": "date-time"},
                    }
                ),
            },
            "kept_after_erasure": _TEXT,
        }
    ),
    "description": "everything kept about the customer (GDPR article 15)",
}

ERASURE = {
    **_object(
        {
            "identifiers": {
                "type": "array",
                "description": "the identifiers covered: the one asked for and those seen with "
                "it on one contact",
                "items": _object({"kind": {"enum": ["phone", "email", "ref"]}, "value": _TEXT}),
            },
            "contacts": _INT,
            "surveys": _INT,
            "comments": _INT,
            "cancelled": _INT,
            "dry_run": {"type": "boolean"},
        }
    ),
    "description": "what was erased, or with dry_run what would be",
}

_GROUPS = {
    "type": "array",
    "items": _object({"key": {"type": "object", "additionalProperties": _TEXT}}),
}
REPORT = {
    **_object(
        {
            "from": {**_TEXT, "format": "date"},
            "to": {**_TEXT, "format": "date"},
            "group_by": {"type": "array", "items": _TEXT},
            "groups": _GROUPS,
            "total": {"type": "object"},
        }
    ),
    "description": (
        "per group and in total: counts, scores with intervals (null below the minimum group "
        "size), funnel, AAPOR rates, weighted figures (SPEC sections 4 and 7); the KPIs: "
        "contacts, cases, repeat-contact ratio, complaints, resolution times, FCR. For "
        "organisation keys each group and the total also carry `targets`: {<kpi>: {target, "
        "judgement: met | not_met | not_significant | null}} for the KPIs with a target"
    ),
}

_MEASURE = _object(
    {
        "num": _INT,
        "den": _INT,
        "rate": _NULLABLE_NUMBER,
        "ci95": {"type": ["array", "null"], "items": {"type": "number"}},
        "limits": {"type": ["array", "null"], "items": {"type": "number"}},
    }
)
FAIRNESS = _object(
    {
        "from": {**_TEXT, "format": "date"},
        "to": {**_TEXT, "format": "date"},
        "units": {
            "type": "array",
            "items": _object(
                {
                    "actor": _TEXT,
                    "agent": {"type": ["string", "null"]},
                    "contacts": _INT,
                    "cases": _INT,
                    "customers": _INT,
                    "cancelled_after_draw": {"type": "object", "additionalProperties": _INT},
                    "measures": {"type": "object", "additionalProperties": _MEASURE},
                    "flags": {"type": "array", "items": _TEXT},
                }
            ),
        },
    }
)

_INTERVAL = {"type": ["array", "null"], "items": {"type": "number"}, "minItems": 2, "maxItems": 2}
_DIFFERENCE = _object(
    {
        "value": _NULLABLE_NUMBER,
        "ci95": _INTERVAL,
        "significant": {"type": ["boolean", "null"]},
    }
)
_PERIOD_FIGURES = _object({"n": _INT, "mean": _NULLABLE_NUMBER, "csat": _NULLABLE_NUMBER})
_COMPARED = _object(
    {
        "current": _PERIOD_FIGURES,
        "previous": _PERIOD_FIGURES,
        "mean_diff": _DIFFERENCE,
        "csat_diff": _DIFFERENCE,
    }
)
CHANGE = {
    **_object(
        {
            "from": {**_TEXT, "format": "date"},
            "to": {**_TEXT, "format": "date"},
            "previous": _object(
                {"from": {**_TEXT, "format": "date"}, "to": {**_TEXT, "format": "date"}}
            ),
            "groups": {
                "type": "array",
                "items": {
                    **_COMPARED,
                    "properties": {
                        "key": {
                            "type": "object",
                            "additionalProperties": {"type": ["string", "null"]},
                        },
                        **_COMPARED["properties"],
                    },
                    "required": ["key", *_COMPARED["required"]],
                },
            },
            "total": _COMPARED,
        },
        group_by={"type": "array", "items": _TEXT},
    ),
    "description": (
        "per group and in total: n, mean and CSAT of both periods, and the differences "
        "(current minus previous) with 95 % intervals: Welch for the mean, Newcombe's hybrid "
        "score for CSAT; null where either period's group is below the minimum size"
    ),
}

_NULLABLE_TEXT = {"type": ["string", "null"]}
AGENT_RANKING = _object(
    {
        "from": {**_TEXT, "format": "date"},
        "to": {**_TEXT, "format": "date"},
        "teams": {
            "type": "array",
            "items": _object(
                {
                    "team": _NULLABLE_TEXT,
                    "team_mean": _NULLABLE_NUMBER,
                    "within_variance": _NULLABLE_NUMBER,
                    "tau2": _NULLABLE_NUMBER,
                    "agents": {
                        "type": "array",
                        "items": _object(
                            {
                                "agent": _NULLABLE_TEXT,
                                "n": _INT,
                                "mean": {"type": "number"},
                                "shrunk_mean": _NULLABLE_NUMBER,
                                "ci95": _INTERVAL,
                            }
                        ),
                    },
                    "hidden": {
                        "type": "array",
                        "items": _object({"agent": _NULLABLE_TEXT, "n": _INT}),
                    },
                }
            ),
        },
    }
)

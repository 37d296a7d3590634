"""The OpenAPI schemas of the metrics answers (issue 15): an app's per-minute series
(GET /apps/{name}/metrics) and the apps list's items with their 5-minute rates. They are kept
beside the routes' table (openapi.py) and held to real answers by tests/unit/test_cli_metrics.py
and the API fuzzer."""
from __future__ import annotations

from paas.domain.metric_series import QUANTILES
from paas.domain.metrics import STATUS_CLASSES

COUNTS = {"type": "array", "items": {"type": "integer", "minimum": 0}}
FIGURES = {"type": "array", "items": {"type": "number", "nullable": True},
           "description": "null: nothing measured that minute"}
RATES = {"type": "object", "nullable": True, "required": ["requests_per_minute", "error_rate"],
         "description": "the last 5 minutes; null when this platform collects no metrics",
         "properties": {"requests_per_minute": {"type": "number", "minimum": 0},
                        "error_rate": {"type": "number", "minimum": 0, "maximum": 1,
                                       "description": "the share of 5xx responses"}}}
APP_ITEM = {"type": "object", "required": ["name", "created_at", "rates"],
            "properties": {"name": {"type": "string"}, "created_at": {"type": "string"},
                           "rates": RATES}}


def _obj(**props) -> dict:
    return {"type": "object", "required": list(props), "properties": props}


PROCESS = _obj(cpu_percent=FIGURES, memory_bytes=FIGURES, memory_limit_bytes=FIGURES,
               restarts=COUNTS, oom_kills=COUNTS)
MARKER = _obj(version={"type": "integer"}, at={"type": "number", "description": "epoch seconds"},
              description={"type": "string"})
SERIES = _obj(
    app={"type": "string"},
    since={"type": "integer", "description": "the window, in seconds"},
    step={"type": "integer", "description": "seconds per value: 60"},
    minutes={"type": "array", "items": {"type": "integer"},
             "description": "each value's minute, epoch seconds, oldest first"},
    requests=COUNTS,
    status=_obj(**dict.fromkeys(STATUS_CLASSES, COUNTS)),
    latency_ms={**_obj(**{kind: _obj(**dict.fromkeys(QUANTILES, FIGURES))
                          for kind in ("total", "upstream")}),
                "description": "at the router: total time and the app's (upstream) time"},
    processes={"type": "object", "additionalProperties": PROCESS,
               "description": "per process type"},
    releases={"type": "array", "items": MARKER,
              "description": "the releases (deploys, rollbacks, config changes) in the window"},
)

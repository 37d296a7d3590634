"""/api/v1/apps/<app>/metrics: per-minute requests, status classes, latency percentiles and
container figures (issue 15), from `since` (5m, 15m, 1h, 6h, 24h) to now."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from paas.errors import PaasError
from paas.server.auth import require_token, services

bp = Blueprint("metrics", __name__)
bp.before_request(require_token)


class MetricsOff(PaasError):
    id = "metrics_off"
    status = 503


@bp.get("/apps/<name>/metrics")
def app_metrics(name: str):
    services().apps.get(name)
    metrics = services().metrics
    if metrics is None:
        raise MetricsOff("metrics are not collected by this platform")
    return jsonify(metrics.series(name, request.args.get("since", "1h")))

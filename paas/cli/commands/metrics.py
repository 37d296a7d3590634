"""metrics: an app's per-minute figures as aligned columns with a sparkline per series."""
from __future__ import annotations

import time

import click

from paas.cli.client import seg
from paas.cli.context import Context, app_option
from paas.cli.output import as_json, header, table

BARS = "▁▂▃▄▅▆▇█"
WIDTH = 60  # sparkline characters: 24 h of minutes fold into 24-minute columns


def sparkline(values: list[float | None], width: int = WIDTH) -> str:
    """One character per column (the column's peak), scaled from 0 to the series' peak;
    a blank where nothing was measured."""
    step = max(1, -(-len(values) // width))
    cols = [[v for v in values[i:i + step] if v is not None] for i in range(0, len(values), step)]
    peaks = [max(c) if c else None for c in cols]
    top = max((p for p in peaks if p is not None), default=0)
    return "".join(" " if p is None else BARS[0] if top <= 0 else
                   BARS[min(len(BARS) - 1, int(p / top * (len(BARS) - 1) + 0.5))] for p in peaks)


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}" if isinstance(value, float) and not value.is_integer() else f"{value:g}"


def _mib(values: list) -> list:
    return [None if v is None else round(v / 1048576, 1) for v in values]


def series_rows(doc: dict) -> list[tuple[str, list]]:
    """(name, per-minute values) in display order."""
    rows: list[tuple[str, list]] = [("requests", doc["requests"])]
    rows += [(f"  {cls}", values) for cls, values in doc["status"].items()
             if cls != "1xx" or any(values)]
    for kind, label in (("total", ""), ("upstream", " upstream")):
        rows += [(f"{q}{label} ms", v) for q, v in doc["latency_ms"][kind].items()]
    for process, figures in doc["processes"].items():
        rows += [(f"{process} cpu %", figures["cpu_percent"]),
                 (f"{process} memory MiB", _mib(figures["memory_bytes"])),
                 (f"{process} limit MiB", _mib(figures["memory_limit_bytes"])),
                 (f"{process} restarts", figures["restarts"]),
                 (f"{process} oom kills", figures["oom_kills"])]
    return rows


def summary(values: list) -> list[str]:
    seen = [v for v in values if v is not None]
    last = next((v for v in reversed(values) if v is not None), None)
    return [_num(last), _num(min(seen) if seen else None), _num(max(seen) if seen else None)]


def register(cli: click.Group) -> None:
    @cli.command("metrics")
    @app_option
    @click.option("--since", default="1h", show_default=True,
                  type=click.Choice(["5m", "15m", "1h", "6h", "24h"]), help="how far back")
    @click.option("--json", "as_json_", is_flag=True, help="the raw per-minute series")
    @click.pass_obj
    def metrics(ctx: Context, app_name, since: str, as_json_: bool) -> None:
        """Requests, status classes, latency percentiles, CPU and memory per minute."""
        app = ctx.app(app_name)
        doc = ctx.client.get(f"/apps/{seg(app)}/metrics?since={since}")
        if as_json_:
            as_json(doc)
            return
        header(f"{app} metrics, last {since}, per minute (now, min, max, then oldest → newest)")
        table([["series", "now", "min", "max", ""]] +
              [[name, *summary(values), sparkline(values)] for name, values in series_rows(doc)])
        for marker in doc["releases"]:
            at = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(marker["at"]))
            click.echo(f"v{marker['version']} at {at}: {marker['description']}")

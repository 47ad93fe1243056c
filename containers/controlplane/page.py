"""``GET /``: a plain HTML page of what the control plane runs, refreshing itself.

No JavaScript: a ``<meta http-equiv="refresh">`` reloads it every REFRESH_SECONDS.
It lists models (containers, images), endpoints (status, failure reason, each
variant's weight, instance count, per-container health, p50/p99 latency of recent
invocations) and transform jobs (status, progress, failure reason). Tables and rows
carry ids and ``data-`` attributes so a browser test can find them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Any

from inferline.containers.controlplane.fleet import Fleet
from inferline.containers.controlplane.store import Store

REFRESH_SECONDS = 2
STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin-bottom: 1.5em; }
th, td { border: 1px solid #bbb; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #eee; }
.InService, .Completed, .up { color: #176f2c; font-weight: bold; }
.Failed, .down { color: #b00020; font-weight: bold; }
.Creating, .Updating, .Deleting, .InProgress, .Stopping { color: #a05a00; font-weight: bold; }
.reason { color: #b00020; white-space: pre-wrap; font-size: 0.85em; }
"""


def render(store: Store, live: dict[str, Fleet], progress: dict[str, dict[str, Any]]) -> str:
    """The page; `progress` maps a transform job to what the batch engine reports."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<meta http-equiv='refresh' content='{REFRESH_SECONDS}'>"
        f"<title>inferline: local SageMaker</title><style>{STYLE}</style></head><body>"
        f"<h1>inferline: local SageMaker</h1><p id='updated'>Updated {stamp}</p>"
        + _models(store)
        + _endpoints(store, live)
        + _transform_jobs(store, progress)
        + "</body></html>\n"
    )


def _models(store: Store) -> str:
    rows = []
    for model in sorted(store.all("models"), key=lambda m: str(m["ModelName"])):
        containers = model.get("Containers") or [model.get("PrimaryContainer", {})]
        images = "<br>".join(escape(str(c.get("Image", ""))) for c in containers)
        mode = model.get("InferenceExecutionConfig", {}).get("Mode", "Serial")
        rows.append(
            f"<tr data-model='{escape(model['ModelName'])}'><td>{escape(model['ModelName'])}</td>"
            f"<td>{len(containers)}</td><td>{escape(mode)}</td><td>{images}</td>"
            f"<td>{_time(model.get('CreationTime'))}</td></tr>"
        )
    return _table("models", "Models", ["Name", "Containers", "Mode", "Images", "Created"], rows)


def _endpoints(store: Store, live: dict[str, Fleet]) -> str:
    rows = []
    for endpoint in sorted(store.all("endpoints"), key=lambda e: str(e["EndpointName"])):
        name = endpoint["EndpointName"]
        status = endpoint["EndpointStatus"]
        reason = endpoint.get("FailureReason")
        fleet = live.get(name)
        variants = fleet.describe() if fleet is not None else []
        detail = "".join(_variant(variant) for variant in variants) or "-"
        rows.append(
            f"<tr data-endpoint='{escape(name)}'><td>{escape(name)}</td>"
            f"<td class='status {escape(status)}'>{escape(status)}"
            + (f"<div class='reason'>{escape(reason)}</div>" if reason else "")
            + f"</td><td>{escape(endpoint['EndpointConfigName'])}</td><td>{detail}</td></tr>"
        )
    headers = ["Name", "Status", "Config", "Variants"]
    return _table("endpoints", "Endpoints", headers, rows)


def _variant(variant: dict[str, Any]) -> str:
    containers = []
    for container in variant["containers"]:
        health = "up" if container["alive"] else "down"
        latency = _latency(container["latency"])
        containers.append(
            f"<li data-container='{escape(container['hostname'])}'>copy {container['copy']}: "
            f"{escape(container['hostname'])} <span class='health {health}'>{health}</span>"
            f" {latency}</li>"
        )
    return (
        f"<div class='variant' data-variant='{escape(variant['VariantName'])}'>"
        f"<b>{escape(variant['VariantName'])}</b> weight {variant['weight']:g}, "
        f"<span class='instances'>{variant['instances']}</span> instance(s), "
        f"latency {_latency(variant['latency'])}<ul>{''.join(containers)}</ul></div>"
    )


def _latency(quantiles: dict[str, float] | None) -> str:
    if quantiles is None:
        return "<span class='latency'>no invocations yet</span>"
    return (
        f"<span class='latency'>p50 {quantiles['p50']:.1f} ms, p99 {quantiles['p99']:.1f} ms "
        f"({int(quantiles['count'])} recent)</span>"
    )


def _transform_jobs(store: Store, progress: dict[str, dict[str, Any]]) -> str:
    rows = []
    for job in sorted(store.all("transformJobs"), key=lambda j: -float(j["CreationTime"])):
        name = job["TransformJobName"]
        status = job["TransformJobStatus"]
        reason = job.get("FailureReason")
        done = progress.get(name, {})
        shown = ", ".join(f"{key} {value}" for key, value in done.items()) or "-"
        rows.append(
            f"<tr data-transform-job='{escape(name)}'><td>{escape(name)}</td>"
            f"<td class='status {escape(status)}'>{escape(status)}</td>"
            f"<td>{escape(job['ModelName'])}</td><td>{escape(shown)}</td>"
            f"<td class='reason'>{escape(reason or '')}</td></tr>"
        )
    headers = ["Name", "Status", "Model", "Progress", "Failure"]
    return _table("transform-jobs", "Transform jobs", headers, rows)


def _table(table_id: str, title: str, headers: list[str], rows: list[str]) -> str:
    head = "".join(f"<th>{escape(header)}</th>" for header in headers)
    body = "".join(rows) or f"<tr><td colspan='{len(headers)}'>none</td></tr>"
    return f"<h2>{title}</h2><table id='{table_id}'><tr>{head}</tr>{body}</table>"


def _time(epoch: Any) -> str:
    if epoch is None:
        return "-"
    return datetime.fromtimestamp(float(epoch), UTC).strftime("%Y-%m-%d %H:%M:%S")

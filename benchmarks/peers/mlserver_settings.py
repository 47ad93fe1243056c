"""MLServer's settings.json and model-settings.json for the fitted pipeline, on loopback."""

from __future__ import annotations

import json
from pathlib import Path


def write(folder: Path, model_file: Path, http_port: int, grpc_port: int) -> Path:
    """Write the two settings files into `folder` (MLServer's `start` argument)."""
    folder.mkdir(parents=True, exist_ok=True)
    settings = {
        "host": "127.0.0.1",
        "http_port": http_port,
        "grpc_port": grpc_port,
        "metrics_endpoint": None,  # its own metrics server would take a third port
        "parallel_workers": 1,
        "debug": False,
    }
    model = {
        "name": "abalone",
        "implementation": "mlserver_sklearn.SKLearnModel",
        "parameters": {"uri": str(model_file), "version": "v1"},
    }
    (folder / "settings.json").write_text(json.dumps(settings))
    (folder / "model-settings.json").write_text(json.dumps(model))
    return folder


def request(columns: list[str], rows: list[list[object]]) -> bytes:
    """The V2 inference request for abalone rows: one input per column, decoded as pandas."""
    inputs = []
    for index, name in enumerate(columns):
        values = [row[index] for row in rows]
        datatype = "BYTES" if isinstance(values[0], str) else "FP64"
        inputs.append({"name": name, "shape": [len(values)], "datatype": datatype, "data": values})
    return json.dumps({"parameters": {"content_type": "pd"}, "inputs": inputs}).encode()


def scores(answer: bytes) -> list[float]:
    return [float(value) for value in json.loads(answer)["outputs"][0]["data"]]

"""A small scripted model for batch tests: sums each row, and misbehaves on cue.

The inference script (the sklearn image's user-script contract) answers one value
per record, so every test knows the exact output bytes. On cue it fails: a row with
``bad`` is a 400 from input_fn; a row with ``crash-once`` kills its worker the first
time (a 5xx the job retries); a row ``env,NAME`` answers the container's NAME;
``slow,SECONDS,N`` answers ``slept N`` after SECONDS (to stop a job halfway).
RecordIO records answer their payload's length.
EXECUTION_PARAMETERS (JSON) in its Environment becomes its /execution-parameters.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

SCRIPT = textwrap.dedent("""
    import json
    import os
    import struct
    import time
    from pathlib import Path


    def model_fn(model_dir):
        return model_dir


    def _frames(body):
        # RecordIO frames: magic, length, payload, padding to 4 bytes.
        rows, offset = [], 0
        while offset < len(body):
            magic, length = struct.unpack_from("<II", body, offset)
            assert magic == 0xCED7230A, "not RecordIO"
            rows.append([str(len(body[offset + 8 : offset + 8 + length]))])
            offset += 8 + length + (-length % 4)
        return rows


    def _rows(text, content_type):
        if content_type.startswith("text/csv"):
            return [line.split(",") for line in text.splitlines() if line]
        documents = [json.loads(line) for line in text.splitlines() if line.strip()]
        return [doc.get("features", []) if isinstance(doc, dict) else doc for doc in documents]


    def input_fn(body, content_type):
        if content_type.startswith("application/x-recordio"):
            return _frames(body)
        text = body.decode() if isinstance(body, bytes) else body
        rows = _rows(text, content_type)
        for row in rows:
            if "bad" in row:
                raise ValueError(f"bad value in row {row}")
            if "crash-once" in row:
                marker = Path(os.environ["CRASH_MARKER"])
                if not marker.exists():
                    marker.write_text("crashed")
                    os._exit(1)
        return rows


    def predict_fn(rows, model):
        answers = []
        for row in rows:
            if row and row[0] == "env":
                answers.append(os.environ.get(row[1], "unset"))
            elif row and row[0] == "crash-once":
                answers.append("recovered")
            elif row and row[0] == "slow":
                time.sleep(float(row[1]))
                answers.append(f"slept {row[2]}")
            else:
                answers.append(repr(sum(float(value) for value in row if value not in ("", None))))
        return answers


    def output_fn(answers, accept):
        if accept.startswith("application/jsonlines"):
            return "\\n".join(json.dumps({"score": answer}) for answer in answers), accept
        if accept.startswith("application/json"):
            body = [{"score": answer} for answer in answers]
            return json.dumps(body[0] if len(body) == 1 else body), accept
        return "\\n".join(answers), "text/csv"


    def execution_parameters_fn():
        return json.loads(os.environ.get("EXECUTION_PARAMETERS", "{}"))
""")


@pytest.fixture(scope="session")
def script_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("summer")
    (root / "code").mkdir()
    (root / "code" / "inference.py").write_text(SCRIPT)
    return root


def model_document(model_dir: Path, name: str = "summer", **environment: str) -> dict[str, Any]:
    """A one-container CreateModel request for the scripted model."""
    return {
        "ModelName": name,
        "PrimaryContainer": {
            "Image": "inferline-sklearn",
            "ModelDataUrl": str(model_dir),
            "Environment": {"SAGEMAKER_MODEL_SERVER_WORKERS": "1", **environment},
        },
    }


def csv_transform_args(pipeline: Path, source: Path, output: Path, *options: str) -> list[str]:
    """`inferline transform` arguments for a CSV job split and assembled by line (the
    resume and fault tests run it as a subprocess and in-process alike)."""
    return [
        "transform",
        str(pipeline),
        "--input",
        str(source),
        "--output",
        str(output),
        "--content-type=text/csv",
        "--split-type=Line",
        "--accept=text/csv",
        "--assemble-with=Line",
        *options,
    ]


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document))
    return path


@pytest.fixture
def pipeline_file(script_model: Path, tmp_path: Path) -> Path:
    return write_json(tmp_path / "model.json", model_document(script_model))

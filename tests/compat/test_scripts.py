"""Real-style scripts answer through inferline byte for byte as through AWS's container.

Each case runs one script two ways on the same request: inferline's container handler
(the code path of `inferline serve`, without the socket) and the reference
(`aws_reference`: AWS's worker flow on real Flask). Bodies and statuses must be equal;
Content-Types too, but for str/bytes returns, which AWS's Flask labels text/html and
inferline labels with the Accept (docs/migration.md lists it).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest

from inferline.containers.core.container import ContainerHandler
from inferline.containers.core.settings import Settings
from inferline.stages import load
from tests.compat import aws_reference
from tests.compat.scripts import SCRIPTS, write_model_dir

CSV = "text/csv"
JSON = "application/json"
NPY = "application/x-npy"


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


ROWS = np.array([[1.0, 2.0], [3.0, 4.0], [0.5, 0.25]])
REQUESTS = {
    "json": (json.dumps(ROWS.tolist()).encode(), {"Content-Type": JSON, "Accept": JSON}),
    "csv-to-csv": (b"1,2\n3,4\n0.5,0.25", {"Content-Type": CSV, "Accept": CSV}),
    "csv-to-json": (b"1,2\n3,4", {"Content-Type": CSV, "Accept": JSON}),
    "npy": (npy(ROWS), {"Content-Type": NPY, "Accept": NPY}),
    "accept-any": (b"1,2\n3,4", {"Content-Type": CSV, "Accept": "*/*"}),
    "no-accept": (b"1,2\n3,4", {"Content-Type": CSV}),
}
TEXT_RETURNS = ("returns_str", "returns_bytes", "inference_toolkit")


class Pair:
    """One script served both ways."""

    def __init__(self, tmp_path: Path, name: str, environ: dict[str, str] | None = None) -> None:
        script = write_model_dir(tmp_path / name, name)
        settings = Settings.from_env({"SAGEMAKER_PROGRAM": script.name, **(environ or {})})
        self.handler = ContainerHandler(load(None, tmp_path / name, settings), settings)
        default_accept = (environ or {}).get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT", JSON)
        module = aws_reference.import_copy(script, f"reference_{name}")
        self.reference = aws_reference.app_for(module, tmp_path / name, default_accept)

    def both(self, body: bytes, headers: dict[str, str]) -> tuple[aws_reference.Reply, ...]:
        ours = self.handler.invoke(body, headers)
        theirs = aws_reference.invoke(self.reference, body, headers)
        return aws_reference.Reply(ours.status, ours.content_type, ours.body), theirs


CASES = [
    (name, request)
    for name in SCRIPTS
    for request in REQUESTS
    # transform_fn_only reads CSV itself; the toolkit scripts reshape what they decode.
    if not (name == "transform_fn_only" and request in ("json", "npy"))
]


@pytest.mark.parametrize(("name", "request_name"), CASES)
def test_a_script_answers_as_on_aws(tmp_path: Path, name: str, request_name: str) -> None:
    body, headers = REQUESTS[request_name]
    ours, theirs = Pair(tmp_path, name).both(body, headers)
    assert theirs.status == 200
    assert ours.status == theirs.status
    assert ours.body == theirs.body
    if name in TEXT_RETURNS:
        assert theirs.mimetype == "text/html"
        assert ours.mimetype == headers.get("Accept", "*/*").replace("*/*", JSON)
    else:
        assert ours.mimetype == theirs.mimetype


def test_the_defaults_answer_aws_layouts(tmp_path: Path) -> None:
    """Not {"predictions": [{"prediction": ...}]}: a bare list; npy of shape (n,)."""
    pair = Pair(tmp_path, "defaults_only")
    reply, _ = pair.both(*REQUESTS["json"])
    expected = [3.0 + 0.5 - 2.5, 3.0 + 1.5 - 5.0, 3.0 + 0.25 - 0.3125]
    assert json.loads(reply.body) == pytest.approx(expected)
    assert reply.body.startswith(b"[") and b"prediction" not in reply.body
    reply, _ = pair.both(*REQUESTS["npy"])
    assert np.load(io.BytesIO(reply.body)).shape == (3,)
    reply, _ = pair.both(*REQUESTS["csv-to-csv"])
    assert reply.body.decode().count("\n") == 3 and "," not in reply.body.decode()


def test_the_default_accept_setting_replaces_any_and_missing(tmp_path: Path) -> None:
    pair = Pair(tmp_path, "returns_dict", {"SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": CSV})
    for request in ("accept-any", "no-accept"):
        ours, theirs = pair.both(*REQUESTS[request])
        assert json.loads(ours.body)["accept"] == CSV
        assert ours.body == theirs.body


def test_a_flask_response_keeps_its_headers(tmp_path: Path) -> None:
    pair = Pair(tmp_path, "returns_flask_response")
    reply = pair.handler.invoke(*REQUESTS["json"])
    assert reply.headers == {"X-Model": "lr"}


def test_a_dict_is_answered_as_flask_jsonify_writes_it(tmp_path: Path) -> None:
    reply = Pair(tmp_path, "returns_dict").handler.invoke(*REQUESTS["json"])
    assert reply.content_type == JSON
    assert reply.body.endswith(b"}\n")
    assert reply.body.startswith(b'{"accept":"application/json","count":3,"predictions":[')


def test_inferline_defaults_stay_behind_their_setting(tmp_path: Path) -> None:
    pair = Pair(tmp_path, "defaults_only", {"INFERLINE_SKLEARN_SCRIPT_DEFAULTS": "inferline"})
    reply = pair.handler.invoke(*REQUESTS["csv-to-json"])
    assert json.loads(reply.body)["predictions"][0].keys() == {"prediction"}


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Content-Type": "application/x-parquet", "Accept": JSON}, 415),
        ({"Content-Type": CSV, "Accept": "image/png"}, 406),
    ],
)
def test_what_the_defaults_cannot_read_or_write_is_a_json_4xx(
    tmp_path: Path, headers: dict[str, str], status: int
) -> None:
    """AWS answers both with an HTML 500 (CONTRACTS.md §3.3); inferline names the type."""
    reply = Pair(tmp_path, "defaults_only").handler.invoke(b"1,2\n3,4", headers)
    assert reply.status == status
    message = json.loads(reply.body)["message"]
    assert headers["Content-Type" if status == 415 else "Accept"] in message


def test_a_non_numeric_body_is_a_400_for_the_default_input_fn(tmp_path: Path) -> None:
    reply = Pair(tmp_path, "defaults_only").handler.invoke(b"M,2", {"Content-Type": CSV})
    assert reply.status == 400
    assert "could not convert string to float" in json.loads(reply.body)["message"]


def test_one_csv_row_is_squeezed_to_1d_as_on_aws(tmp_path: Path) -> None:
    """AWS's decoder squeezes a single row, and scikit-learn refuses 1-D input
    (sagemaker-scikit-learn-container#15): the same failure, as a 422 that says so."""
    reply = Pair(tmp_path, "defaults_only").handler.invoke(b"1,2", {"Content-Type": CSV})
    assert reply.status == 422
    assert "reshape" in json.loads(reply.body)["message"]

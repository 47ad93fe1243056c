"""The plain peer: one fitted scikit-learn pipeline behind Flask under gunicorn.

What a hand-written model server costs at the least: parse the CSV with pandas, call
`predict`, write the numbers back. Run with `gunicorn benchmarks.peers.flask_app:app`
(BENCH_MODEL = the joblib file) in the peer's own venv.
"""

from __future__ import annotations

import io
import os

import joblib
import pandas as pd
from flask import Flask, Response, request

COLUMNS = [
    "sex",
    "length",
    "diameter",
    "height",
    "whole_weight",
    "shucked_weight",
    "viscera_weight",
    "shell_weight",
]

app = Flask(__name__)
model = joblib.load(os.environ["BENCH_MODEL"])


@app.get("/ping")
def ping() -> Response:
    return Response("", status=200)


@app.post("/invocations")
def invocations() -> Response:
    frame = pd.read_csv(
        io.BytesIO(request.get_data()), header=None, names=COLUMNS, skipinitialspace=True
    )
    scores = model.predict(frame)
    return Response("".join(f"{score!r}\n" for score in scores.tolist()), mimetype="text/csv")

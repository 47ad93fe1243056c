"""Save the fitted pipeline as an MLflow model (run with the mlflow peer's python).

    python mlflow_save.py MODEL.joblib OUT_DIR

Recent MLflow saves scikit-learn models with skops, which loads only types it is told to
trust: the pipeline's own classes are listed. The signature comes from a sample frame,
so `mlflow models serve` accepts CSV with a header row.
"""

from __future__ import annotations

import sys

import joblib
import mlflow.sklearn
import pandas as pd
from mlflow.models import infer_signature

SAMPLE = [["M", 0.44, 0.365, 0.125, 0.516, 0.2155, 0.114, 0.155]]
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


def main(model_path: str, out: str) -> None:
    model = joblib.load(model_path)
    frame = pd.DataFrame(SAMPLE, columns=COLUMNS)
    signature = infer_signature(frame, model.predict(frame))
    options: dict[str, object] = {"signature": signature}
    try:
        mlflow.sklearn.save_model(model, out, **options, serialization_format="pickle")
    except Exception:  # newer MLflow: skops only, with the pipeline's types trusted
        import shutil

        shutil.rmtree(out, ignore_errors=True)
        mlflow.sklearn.save_model(model, out, **options, skops_trusted_types=_trusted(model))


def _trusted(model: object) -> list[str]:
    import skops.io

    return list(skops.io.get_untrusted_types(data=skops.io.dumps(model)))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

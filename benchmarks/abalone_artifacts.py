"""The one fitted abalone pipeline every target serves, written out in each target's shape.

`inferline train abalone-sklearn` fits the featurizer and the RidgeCV regressor on the
example's seeded split; the same fit, as one scikit-learn `Pipeline`, is what the peers
and the in-process floor load (the suite checks every target gives the same answer).
The inferline pipeline adds a third container, `peers/abalone_postprocess.py`, that turns
the regressor's JSON into one CSV number a line, as the peers answer.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import Pipeline, make_pipeline

from inferline.stages.sklearn import artifact
from inferline.training import data
from inferline.training import sklearn_abalone_featurizer as script

ROOT = Path(__file__).resolve().parents[1]
PEERS = Path(__file__).resolve().parent / "peers"
COLUMNS = list(data.ABALONE_FEATURES)
PIPELINE_NAME = "abalone-bench"


@dataclass(frozen=True)
class Artifacts:
    pipeline: Pipeline  # featurizer + RidgeCV, fitted
    joblib_file: Path  # the same, for the peers
    single_stage: Path  # a model dir `inferline serve` loads (the same model.joblib)
    three_containers: Path  # CreateModel JSON: featurizer -> linear-learner -> postprocess
    rows: pd.DataFrame  # every abalone's features, to draw requests from


def fit_pipeline() -> Pipeline:
    train_rows, _ = data.split(data.abalone())
    regressor = RidgeCV(alphas=np.logspace(-3, 2, 12))
    pipeline: Pipeline = make_pipeline(script.featurizer(), regressor)
    return pipeline.fit(train_rows[COLUMNS], train_rows[data.ABALONE_LABEL])


def build(work: Path) -> Artifacts:
    work.mkdir(parents=True, exist_ok=True)
    trained = work / "trained"
    if not (trained / "pipeline.json").exists():
        subprocess.run(
            [
                str(Path(sys.executable).parent / "inferline"),
                "train",
                "abalone-sklearn",
                "--out",
                str(trained),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    pipeline = fit_pipeline()
    single = work / "single-stage"
    shutil.rmtree(single, ignore_errors=True)
    artifact.save(pipeline, single)
    joblib_file = next(single.glob("*.joblib"))
    post = work / "postprocess"
    shutil.rmtree(post, ignore_errors=True)
    (post / "code").mkdir(parents=True)
    shutil.copy(PEERS / "abalone_postprocess.py", post / "code")
    definition = json.loads((trained / "pipeline.json").read_text())
    for container in definition["Containers"]:
        container["ModelDataUrl"] = str(trained / container["ModelDataUrl"])
    definition["ModelName"] = PIPELINE_NAME
    definition["Containers"].append(
        {
            "ContainerHostname": "postprocess",
            "Image": "inferline-sklearn",
            "ModelDataUrl": str(post),
            "Environment": {"SAGEMAKER_PROGRAM": "abalone_postprocess.py"},
        }
    )
    three = work / "three-containers.json"
    three.write_text(json.dumps(definition, indent=2))
    return Artifacts(pipeline, joblib_file, single, three, data.abalone()[COLUMNS])


def with_stage_featurizer(artifacts: Artifacts, work: Path) -> Artifacts:
    """The same pipeline with inferline's own sklearn stage as its first container.

    It serves the example's fitted featurizer (`model.joblib`, no inference script),
    answering CSV to the regressor (SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT=text/csv): what
    the pipeline costs when no user script reads and writes its bodies.
    """
    featurizer = work / "stage-featurizer"
    shutil.rmtree(featurizer, ignore_errors=True)
    artifact.save(artifacts.pipeline[0], featurizer)
    definition = json.loads(artifacts.three_containers.read_text())
    first = definition["Containers"][0]
    first["ModelDataUrl"] = str(featurizer)
    first["Environment"] = {"SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "text/csv"}
    path = work / "three-containers-stage-featurizer.json"
    path.write_text(json.dumps(definition, indent=2))
    return dataclasses.replace(artifacts, three_containers=path)


def csv_rows(rows: pd.DataFrame) -> bytes:
    """Headerless CSV, as the example's clients send it."""
    return rows.to_csv(header=False, index=False).encode()

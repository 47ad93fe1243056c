"""The linear-learner kind's declaration: named only (its artefact is scikit-learn's).

A model.joblib is the sklearn kind's when detected; serving it with Linear Learner's
wire format takes INFERLINE_STAGE=linear-learner (or --stage). Cheap to import.
"""

from __future__ import annotations

from inferline.stages.kind import Kind

__all__ = ["KIND"]

CONTENT_TYPES = (
    "text/csv",
    "application/json",
    "application/jsonlines",
    "application/x-npy",
    "application/x-recordio-protobuf",
)

KIND = Kind(
    name="linear-learner",
    image="sklearn",
    extra="sklearn",
    requires=("sklearn", "joblib"),
    loader="inferline.stages.linear_learner:load",
    content_types=CONTENT_TYPES,
)

"""The blazingtext kind's declaration: named only (its artefact is scikit-learn's).

A model.joblib is the sklearn kind's when detected; serving it with BlazingText's
wire format takes INFERLINE_STAGE=blazingtext (or --stage). Cheap to import.
"""

from __future__ import annotations

from inferline.stages.kind import Kind

__all__ = ["KIND"]

KIND = Kind(
    name="blazingtext",
    image="sklearn",
    extra="sklearn",
    requires=("sklearn", "joblib"),
    loader="inferline.stages.blazingtext:load",
    content_types=("application/json", "application/jsonlines"),
)

"""What pip installs into each peer's venv (the project's scikit-learn, numpy, joblib are added)."""

from __future__ import annotations

REQUIREMENTS: dict[str, tuple[str, ...]] = {
    "flask": ("flask", "gunicorn", "pandas"),
    "mlflow": ("mlflow",),
    "bentoml": ("bentoml", "pandas"),
    # uvloop 0.22 breaks MLServer's event loop setup (issue 14).
    "mlserver": ("mlserver", "mlserver-sklearn", "uvloop<0.22"),
    "sagemaker": ("sagemaker-inference", "multi-model-server", "model-archiver", "pandas"),
}

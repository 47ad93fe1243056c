"""Quality on held-out rows: RMSE for regressors, accuracy for classifiers."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def regression(truth: ArrayLike, predicted: ArrayLike) -> dict[str, float]:
    """RMSE and MAE, plus the RMSE of always predicting the mean, for scale."""
    y, y_hat = np.asarray(truth, dtype=float), np.asarray(predicted, dtype=float)
    error = y_hat - y
    return {
        "rmse": float(np.sqrt(np.mean(error**2))),
        "mae": float(np.mean(np.abs(error))),
        "baseline_rmse": float(np.std(y)),
        "held_out_rows": len(y),
    }


def classification(truth: ArrayLike, predicted: ArrayLike) -> dict[str, float]:
    """Accuracy and macro-averaged recall (the classes may be unbalanced)."""
    y, y_hat = np.asarray(truth), np.asarray(predicted)
    recalls = [float(np.mean(y_hat[y == label] == label)) for label in np.unique(y)]
    return {
        "accuracy": float(np.mean(y == y_hat)),
        "macro_recall": float(np.mean(recalls)),
        "held_out_rows": len(y),
    }

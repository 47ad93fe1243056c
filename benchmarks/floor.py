"""The floor: the fitted abalone pipeline called in-process, and the same arithmetic in numpy.

`NumpyAbalone` reads the fitted objects (the imputer's medians, the scaler's mean and
scale, the encoder's categories, Ridge's coefficients) and computes the score from CSV
text itself: parse, impute, scale, one-hot, one dot product. It is written here, not taken
from a library, because it is the measuring stick: the least work the answer needs.
`check` proves it answers what scikit-learn answers.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline


class NumpyAbalone:
    def __init__(self, pipeline: Pipeline, columns: list[str]) -> None:
        transformer, regressor = pipeline.steps[0][1], pipeline.steps[-1][1]
        numeric = transformer.named_transformers_["numeric"]
        imputer, scaler = numeric.steps[0][1], numeric.steps[1][1]
        sex = transformer.named_transformers_["sex"]
        encoder = sex.steps[-1][1]
        self.medians = np.asarray(imputer.statistics_, dtype=float)
        self.mean = np.asarray(scaler.mean_, dtype=float)
        self.scale = np.asarray(scaler.scale_, dtype=float)
        self.categories = [str(value) for value in encoder.categories_[0]]
        count = len(self.medians)
        coef = np.asarray(regressor.coef_, dtype=float)
        self.numeric_coef, self.category_coef = coef[:count], coef[count:]
        self.intercept = float(regressor.intercept_)
        self.columns = columns

    def predict_csv(self, body: bytes) -> np.ndarray:
        lines = body.decode().splitlines()
        fields = [line.split(",") for line in lines if line]
        try:  # every measurement present: numpy parses the strings itself
            values = np.array([row[1:] for row in fields], dtype=float)
        except ValueError:  # an empty field: NaN, for the imputer's median
            values = np.array(
                [[float(value) if value.strip() else np.nan for value in row[1:]] for row in fields]
            )
        values = np.where(np.isnan(values), self.medians, values)
        scaled = (values - self.mean) / self.scale
        onehot = np.zeros((len(fields), len(self.categories)))
        for index, row in enumerate(fields):
            sex = row[0].strip()
            if sex in self.categories:  # unknown -> all zeros, as handle_unknown="ignore"
                onehot[index, self.categories.index(sex)] = 1.0
        features = np.hstack([scaled, onehot])
        weights = np.concatenate([self.numeric_coef, self.category_coef])
        scores: np.ndarray = features @ weights + self.intercept
        return scores


def pandas_frame(body: bytes, columns: list[str]) -> pd.DataFrame:
    """The CSV parse the peers do: pandas, headerless, named columns."""
    return pd.read_csv(io.BytesIO(body), header=None, names=columns, skipinitialspace=True)


def check(numpy_floor: NumpyAbalone, pipeline: Pipeline, body: bytes) -> float:
    """The largest difference between numpy's and scikit-learn's scores; raises past 1e-9."""
    ours = numpy_floor.predict_csv(body)
    theirs = pipeline.predict(pandas_frame(body, numpy_floor.columns))
    difference = float(np.max(np.abs(ours - theirs)))
    if difference > 1e-9:
        raise AssertionError(f"numpy floor differs from scikit-learn by {difference}")
    return difference

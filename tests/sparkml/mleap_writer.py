"""Run in a subprocess by test_mleap_sklearn: fit scikit-learn pipelines, write them
with the `mleap` PyPI package (mleap.sklearn, no JVM), save the expected outputs.

A separate process because importing mleap.sklearn monkey-patches scikit-learn
classes for the whole interpreter.

    python mleap_writer.py <output dir>
"""

from __future__ import annotations

import sys
from pathlib import Path

import mleap.sklearn.base  # noqa: F401  (patches LinearRegression)
import mleap.sklearn.ensemble.forest  # noqa: F401
import mleap.sklearn.logistic  # noqa: F401
import mleap.sklearn.pipeline  # noqa: F401
import mleap.sklearn.preprocessing.data  # noqa: F401
import mleap.sklearn.tree.tree  # noqa: F401
import numpy as np
import pandas as pd
from mleap.sklearn.preprocessing.data import FeatureExtractor
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler
from sklearn.tree import DecisionTreeClassifier


def main(target: Path) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60)})
    label = (frame.a + 0.5 * frame.b > 0).astype(int)
    frame.to_csv(target / "data.csv", index=False)

    def extractor() -> FeatureExtractor:
        return FeatureExtractor(input_scalars=["a", "b"], output_vector="features")

    for name, step, kwargs in [
        ("standard_scaler", StandardScaler(), {"output_features": "out"}),
        ("min_max_scaler", MinMaxScaler(), {"output_features": "out"}),
        (
            "logistic_regression",
            LogisticRegression(),
            {"input_features": "features", "prediction_column": "out"},
        ),
        (
            "decision_tree",
            DecisionTreeClassifier(max_depth=4, random_state=0),
            {"input_features": "features", "prediction_column": "out", "feature_names": ["a", "b"]},
        ),
        (
            "random_forest",
            RandomForestRegressor(n_estimators=5, max_depth=4, random_state=0),
            {"input_features": "features", "prediction_column": "out", "feature_names": ["a", "b"]},
        ),
    ]:
        features = extractor()
        if "prediction_column" in kwargs:
            step.mlinit(**kwargs)
        else:
            step.mlinit(prior_tf=features, **kwargs)
        pipeline = Pipeline([(features.name, features), (step.name, step)])
        pipeline.mlinit()
        if "prediction_column" in kwargs:
            pipeline.fit(frame, label)
            expected = pipeline.predict(frame)
        else:
            pipeline.fit(frame)
            expected = pipeline.transform(frame)
        pipeline.serialize_to_bundle(str(target), name, init=True)
        np.save(target / f"{name}.npy", np.asarray(expected, dtype=np.float64))


if __name__ == "__main__":
    main(Path(sys.argv[1]))

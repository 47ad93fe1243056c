"""The example data sets as pandas tables, and the fixed, seeded 80/20 split.

The files live beside this module in ``datasets/`` (each with its SOURCE.md) and ship
in the package, so training never downloads anything.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

DATASETS = Path(__file__).parent / "datasets"
SEED = 20240611
TEST_FRACTION = 0.2

ABALONE = DATASETS / "abalone" / "abalone.csv"
ABALONE_FEATURES = (
    "sex",
    "length",
    "diameter",
    "height",
    "whole_weight",
    "shucked_weight",
    "viscera_weight",
    "shell_weight",
)
ABALONE_LABEL = "rings"

CAR = DATASETS / "car_evaluation" / "car.data"
CAR_FEATURES = ("buying", "maint", "doors", "persons", "lug_boot", "safety")
CAR_LABEL = "cat"

DBPEDIA = DATASETS / "dbpedia"
DBPEDIA_CLASSES = DBPEDIA / "classes.txt"


def abalone() -> pd.DataFrame:
    """4,177 abalones: sex, seven measurements and the ring count."""
    return pd.read_csv(ABALONE, header=None, names=[*ABALONE_FEATURES, ABALONE_LABEL])


def car_evaluation() -> pd.DataFrame:
    """1,728 cars: six categorical attributes and the class (unacc, acc, good, vgood)."""
    return pd.read_csv(CAR, header=None, names=[*CAR_FEATURES, CAR_LABEL], dtype=str)


def dbpedia_classes() -> list[str]:
    """The 14 class names, in the order of the files' 1-based class index."""
    return DBPEDIA_CLASSES.read_text(encoding="utf-8").split()


def dbpedia(part: str) -> pd.DataFrame:
    """The DBpedia subset's `train` (14,000 rows) or `test` (2,800 held-out rows) part.

    Columns: ``label`` (the class name), ``title`` and ``abstract``.
    """
    frame = pd.read_csv(
        DBPEDIA / f"{part}.csv",
        header=None,
        names=["index", "title", "abstract"],
        dtype={"index": int, "title": str, "abstract": str},
        keep_default_na=False,
    )
    classes = np.array(dbpedia_classes())
    # The original files start every abstract with a space; Spark's Tokenizer would
    # turn it into an empty first token.
    return pd.DataFrame(
        {
            "label": classes[frame["index"].to_numpy() - 1],
            "title": frame["title"],
            "abstract": frame["abstract"].str.strip(),
        }
    )


def split(frame: pd.DataFrame, seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The same 80/20 train/held-out split on every run: a seeded row permutation."""
    order = np.random.default_rng(seed).permutation(len(frame))
    cut = len(frame) - round(len(frame) * TEST_FRACTION)
    train, held_out = order[:cut], order[cut:]
    return (
        frame.iloc[np.sort(train)].reset_index(drop=True),
        frame.iloc[np.sort(held_out)].reset_index(drop=True),
    )

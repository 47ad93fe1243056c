"""DBpedia: a Spark ML Tokenizer -> a BlazingText-compatible text classifier.

As the seed ``inference_pipeline_sparkml_blazingtext_dbpedia`` does: the Tokenizer
bundle lower-cases and splits the abstract, and with
``SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT=application/jsonlines;data=text`` answers
``{"source": "tok tok tok"}``, which the classifier reads as BlazingText does,
answering ``{"label": ["__label__<class>"], "prob": [p]}``. The classifier is
scikit-learn's (TF-IDF and a logistic-loss linear model), trained on the same tokens.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import SGDClassifier
from sklearn.pipeline import Pipeline, make_pipeline

from inferline.stages import blazingtext
from inferline.stages.sparkml.convert import package_model
from inferline.training import data, metrics, outputs, samples, spark
from inferline.training import sparkml_featurizers as featurizers
from inferline.training.examples import Trained

NAME = "dbpedia"
# The seed notebook's two requests: a CSV sentence, and the same kind in JSON.
CSV_REQUEST = (
    "Convair was an american aircraft manufacturing company which later expanded "
    "into rockets and spacecraft."
)
JSON_SENTENCE = (
    "Berwick secondary college is situated in the outer Melbourne metropolitan suburb of Berwick ."
)
TOKENS = "tokenized_abstract"

TOKENIZER = outputs.Container(
    "sparkml",
    outputs.SPARKML_IMAGE,
    {
        "SAGEMAKER_SPARKML_SCHEMA": json.dumps(featurizers.DBPEDIA_SCHEMA, separators=(",", ":")),
        "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT": "application/jsonlines;data=text",
    },
)
CLASSIFIER = outputs.Container(
    "blazingtext",
    outputs.SKLEARN_IMAGE,
    {"INFERLINE_STAGE": "blazingtext"},
)


def classifier() -> Pipeline:
    """TF-IDF over words and word pairs, then a linear model with logistic loss (it has
    predict_proba, which BlazingText's `prob` needs); a few seconds on 14,000 rows."""
    return make_pipeline(
        TfidfVectorizer(sublinear_tf=True, min_df=2, ngram_range=(1, 2)),
        SGDClassifier(loss="log_loss", alpha=1e-5, random_state=data.SEED),
    )


def train(out: Path) -> Trained:
    session = spark.session()
    train_rows, held_out = data.dbpedia("train"), data.dbpedia("test")
    tokenizer = featurizers.dbpedia_tokenizer().fit(
        session.createDataFrame(train_rows[["abstract"]])
    )

    def sources(abstracts: list[str]) -> list[str]:
        """The text BlazingText receives: Spark's tokens joined by spaces, in row order."""
        frame = session.createDataFrame(pd.DataFrame({"abstract": abstracts}))
        return [" ".join(tokens) for tokens in tokenizer.transform(frame).toPandas()[TOKENS]]

    model = classifier().fit(sources(train_rows["abstract"].tolist()), train_rows["label"])

    package_model(tokenizer, out / TOKENIZER.model_data)
    outputs.archive(out, CLASSIFIER, lambda model_dir: blazingtext.save(model, model_dir))
    outputs.write_definitions(out, NAME, [TOKENIZER, CLASSIFIER])

    predicted = model.predict(sources(held_out["abstract"].tolist()))
    quality = {
        **metrics.classification(held_out["label"], predicted),
        "model": "tf-idf + SGDClassifier(log_loss)",
        "classes": len(model.classes_),
    }
    outputs.write_metrics(out, quality)

    def top(sentence: str) -> dict[str, list[object]]:
        probabilities = model.predict_proba(sources([sentence]))[0]
        best = int(np.argmax(probabilities))
        return {
            "label": [blazingtext.label_of(model.classes_[best])],
            "prob": [float(probabilities[best])],
        }

    requests = [
        samples.Sample(
            "CSV sentence", CSV_REQUEST, "text/csv", "application/jsonlines", [top(CSV_REQUEST)]
        ),
        samples.Sample(
            "JSON sentence",
            json.dumps({"data": [JSON_SENTENCE]}),
            "application/json",
            "application/jsonlines",
            [top(JSON_SENTENCE)],
        ),
    ]
    samples.save(requests, out)
    return Trained(NAME, out, quality, requests)

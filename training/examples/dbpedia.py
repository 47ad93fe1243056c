"""DBpedia: a Spark ML Tokenizer -> a BlazingText text classifier.

As the seed ``inference_pipeline_sparkml_blazingtext_dbpedia`` does: the Tokenizer
bundle lower-cases and splits the abstract, and with
``SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT=application/jsonlines;data=text`` answers
``{"source": "tok tok tok"}``, which the classifier reads as BlazingText does,
answering ``{"label": ["__label__<class>"], "prob": [p]}``. The classifier is a
fastText supervised model, BlazingText's supervised mode, trained on the same tokens
and saved as BlazingText saves it (`model.bin`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

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


# fastText's options (BlazingText's hyperparameters epochs, learning_rate, vector_dim,
# word_ngrams and buckets, plus subwords). 14,000 abstracts are few for fastText's
# defaults: 50 epochs at a high learning rate, word pairs, and 4-character subwords
# (which tie "company," to "company", as Spark's Tokenizer keeps punctuation on words)
# reach 0.95 on the held-out rows. One thread, so the model is the same on every run;
# about 30 s of CPU.
OPTIONS: dict[str, Any] = {
    "epoch": 50,
    "lr": 1.0,
    "dim": 50,
    "wordNgrams": 2,
    "minn": 4,
    "maxn": 4,
    "bucket": 500_000,
    "thread": 1,
}


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

    model = blazingtext.train(
        sources(train_rows["abstract"].tolist()),
        train_rows["label"].tolist(),
        seed=data.SEED,
        **OPTIONS,
    )

    package_model(tokenizer, out / TOKENIZER.model_data)
    outputs.archive(out, CLASSIFIER, lambda model_dir: blazingtext.save(model, model_dir))
    outputs.write_definitions(out, NAME, [TOKENIZER, CLASSIFIER])

    labels, _ = model.predict(sources(held_out["abstract"].tolist()))
    predicted = [blazingtext.class_of(best[0]) for best in labels]
    quality = {
        **metrics.classification(held_out["label"], predicted),
        "model": "fastText supervised (BlazingText's supervised mode)",
        "classes": len(model.get_labels()),
    }
    outputs.write_metrics(out, quality)

    def top(sentence: str) -> dict[str, list[object]]:
        """fastText's own answer for the sentence's tokens: what the endpoint must say."""
        best, probabilities = model.predict(sources([sentence])[0], k=1)
        return {"label": list(best), "prob": probabilities.tolist()}

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

"""The pieces under the examples: the split, the featurizer script, answers, archives, reuse."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pandas as pd
import pytest

from inferline.containers.cli import parser
from inferline.training import commands, data, demo, examples, outputs, samples
from inferline.training import sklearn_abalone_featurizer as script


def test_split_is_fixed_disjoint_and_eighty_twenty() -> None:
    frame = data.abalone()
    train, held_out = data.split(frame)
    again_train, again_held_out = data.split(frame)
    assert (len(train), len(held_out)) == (3342, 835)
    assert train.equals(again_train) and held_out.equals(again_held_out)
    columns = list(frame.columns)
    together = pd.concat([train, held_out]).sort_values(columns).reset_index(drop=True)
    assert together.equals(frame.sort_values(columns).reset_index(drop=True))  # a partition
    assert not data.split(frame, seed=1)[1].equals(held_out)


def test_dbpedia_labels_are_class_names() -> None:
    test = data.dbpedia("test")
    assert len(test) == 2800
    assert sorted(test["label"].unique()) == sorted(data.dbpedia_classes())
    assert not test["abstract"].str.startswith(" ").any()


def test_featurizer_script_reads_seed_rows_and_names_bad_ones() -> None:
    frame = script.input_fn("M, 0.44, 0.365, 0.125, 0.516, 0.2155, 0.114, 0.155", "text/csv")
    assert list(frame.columns) == script.FEATURE_COLUMNS
    assert frame.loc[0, "sex"] == "M"
    labelled = script.input_fn("F,0.5,0.4,0.1,0.7,0.3,0.17,0.25,9", "text/csv")
    fitted = script.featurizer().fit(data.abalone())
    features = script.predict_fn(labelled, fitted)
    assert features.shape == (1, 11) and features[0, 0] == 9
    with pytest.raises(ValueError, match="expected 8 columns"):
        script.input_fn("M,0.44", "text/csv")
    with pytest.raises(ValueError, match="application/json not supported"):
        script.input_fn("{}", "application/json")


def test_answers_parse_by_content_type_and_match_up_to_float32() -> None:
    assert samples.parse(b"12.79147", "text/csv") == [[12.79147]]
    assert samples.parse(b"vgood\n", "text/csv; charset=utf-8") == [["vgood"]]
    assert samples.parse(b'{"a":1}\n{"a":2}\n', "application/jsonlines") == [{"a": 1}, {"a": 2}]
    assert samples.matches([[12.791470527648926]], [[12.79147]])
    assert not samples.matches([[12.8]], [[12.79147]])
    assert not samples.matches([["acc"]], [["unacc"]])
    assert not samples.matches({"label": ["x"]}, {"label": ["x"], "prob": [1.0]})


def test_archives_are_byte_for_byte_reproducible(tmp_path: Path) -> None:
    container = outputs.Container("featurizer", outputs.SKLEARN_IMAGE)

    def write(model_dir: Path) -> None:
        (model_dir / "code").mkdir()
        (model_dir / "code" / "inference.py").write_text("x = 1\n")
        (model_dir / "model.joblib").write_bytes(b"123")

    first = outputs.archive(tmp_path / "a", container, write)
    assert first == tmp_path / "a" / "featurizer" / "model.tar.gz"
    second = outputs.archive(tmp_path / "b", container, write)
    assert second.read_bytes() == first.read_bytes()
    with tarfile.open(first) as tar:
        assert tar.getnames() == ["code", "code/inference.py", "model.joblib"]


def test_cli_offers_every_example() -> None:
    assert commands.EXAMPLES == tuple(examples.EXAMPLES)
    args = parser().parse_args(["train", "dbpedia", "--out", "x"])
    assert (args.example, args.out) == ("dbpedia", Path("x"))
    with pytest.raises(KeyError, match="unknown example"):
        examples.module("iris")


def test_demo_reuses_artifacts_until_their_inputs_change(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert demo.main(["--artifacts", str(tmp_path), "abalone-sklearn"]) == 0
    first = capsys.readouterr().out
    assert "trained in" in first and "equals the in-process prediction" in first
    assert "featurizer" in first and "linear-learner" in first and "RMSE" in first
    archive = tmp_path / "abalone-sklearn" / "featurizer" / outputs.ARCHIVE
    written = archive.stat().st_mtime_ns

    assert demo.main(["--artifacts", str(tmp_path), "abalone-sklearn"]) == 0
    assert "reused from" in capsys.readouterr().out
    assert archive.stat().st_mtime_ns == written

    # Changed data (another data set file here) means a new digest, so training again.
    changed = tmp_path / "abalone-data"
    changed.mkdir()
    (changed / "abalone.csv").write_text("changed\n")
    monkeypatch.setitem(demo.DATASETS, "abalone-sklearn", changed)
    assert (
        demo.inputs_digest("abalone-sklearn")
        != (tmp_path / "abalone-sklearn" / demo.DIGEST_FILE).read_text().strip()
    )

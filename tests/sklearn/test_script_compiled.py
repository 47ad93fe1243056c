"""The abalone example's featurizer script, its model compiled (the default) or not
(INFERLINE_SKLEARN_COMPILE=false): the same replies to the byte, and the same errors."""

from __future__ import annotations

import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import requests
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestRegressor
from sklearn.pipeline import Pipeline

from inferline.containers.core.errors import ConfigurationError
from inferline.containers.core.invocation import Invocation
from inferline.containers.core.media import MediaType
from inferline.containers.core.settings import Settings
from inferline.stages import load
from inferline.stages.sklearn import ScriptStage, SklearnStage, artifact
from inferline.stages.sklearn.compiled import CompiledMethod
from inferline.training import data
from inferline.training import sklearn_abalone_featurizer as script
from tests.servers import ServerProcess

PROGRAM = Path(script.__file__).name
OFF = {"INFERLINE_SKLEARN_COMPILE": "false"}
ACCEPTS = ("application/json", "text/csv")
SEED = "M, 0.44, 0.365, 0.125, 0.516, 0.2155, 0.114, 0.155"
MEASURES = "0.44, 0.365, 0.125, 0.516, 0.2155, 0.114, 0.155"
HOSTILE = [
    f"X, {MEASURES}",  # unknown category (handle_unknown='ignore')
    f", {MEASURES}",  # no sex: a missing category, scikit-learn's own path
    "M, , , , , , , ",  # every measurement missing: median imputation
    "I, 0.44, , 0.125, , 0.2155, , 0.155",
    "M, abc, 0.365, 0.125, 0.516, 0.2155, 0.114, 0.155",  # a word for a number
    "M, inf, 0.365, 0.125, 0.516, 0.2155, 0.114, 0.155",  # scikit-learn refuses infinity
    "M, 1e400, 0.365, 0.125, 0.516, 0.2155, 0.114, 0.155",
    "M, True, 0.365, 0.125, 0.516, 0.2155, 0.114, 0.155",  # a boolean column
    "M, 1, 2, 3, 4, 5, 6, 7",  # whole numbers: an integer column
    f"1, {MEASURES}",  # a number for the category
    f"True, {MEASURES}",
    f"nan, {MEASURES}",
    "M, 99999999999999999999, 0.365, 0.125, 0.516, 0.2155, 0.114, 0.155",
    "sex,length,diameter,height,whole_weight,shucked_weight,viscera_weight,shell_weight",
    f"{SEED}, 9",  # labelled: nine columns, the ring count kept first
    f"{SEED}\nX,,,,,,,\nF, 1,2,3,4,5,6,7",  # several rows at once
    "M, 0.44",  # too few columns: input_fn's own 400
    "",
]


@pytest.fixture(scope="module")
def featurizer_script(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example's featurizer model directory, as `inferline train abalone-sklearn` writes it."""
    train_rows, _ = data.split(data.abalone())
    featurizer = script.featurizer().fit(train_rows[list(data.ABALONE_FEATURES)])
    model_dir = tmp_path_factory.mktemp("featurizer-script")
    artifact.save(featurizer, model_dir, script.MODEL_FILE)
    (model_dir / "code").mkdir()
    shutil.copy(script.__file__, model_dir / "code" / PROGRAM)
    return model_dir


def held_out_rows() -> list[str]:
    _, held_out = data.split(data.abalone())
    rows = held_out[list(data.ABALONE_FEATURES)].to_csv(header=False, index=False)
    return rows.splitlines()


def script_stage(model_dir: Path, **environ: str) -> ScriptStage:
    stage = load(None, model_dir, Settings.from_env({"SAGEMAKER_PROGRAM": PROGRAM, **environ}))
    assert isinstance(stage, ScriptStage)
    return stage


def outcome(stage: ScriptStage, body: str, accept: str) -> tuple[object, ...]:
    """The answer (status, type, bytes) or the error (type, message), and any warnings."""
    invocation = Invocation(body.encode(), MediaType("text/csv"), (MediaType.parse(accept),))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            answer = stage.invoke(invocation)
            result: tuple[object, ...] = (answer.status, answer.content_type, answer.body)
        except Exception as error:  # noqa: BLE001 - the error is what is compared
            result = (type(error).__name__, str(error))
    return (*result, [str(warning.message) for warning in caught])


def test_the_script_answers_the_same_bytes_and_errors_compiled_or_not(
    featurizer_script: Path,
) -> None:
    compiled, plain = script_stage(featurizer_script), script_stage(featurizer_script, **OFF)
    assert isinstance(vars(compiled.model)["transform"], CompiledMethod)
    assert "transform" not in vars(plain.model)
    transform = vars(compiled.model)["transform"]
    for body in held_out_rows():  # every row one at a time, CSV to the last bit (%.17g)
        assert outcome(compiled, body, "text/csv") == outcome(plain, body, "text/csv"), body
        transform.arithmetic(script.input_fn(body, "text/csv"))  # numpy, not the fallback
    failures = 0
    for body in HOSTILE:
        for accept in ACCEPTS:
            expected = outcome(plain, body, accept)
            assert outcome(compiled, body, accept) == expected, (body, accept)
            failures += expected[0] != 200
    assert failures >= 4 * len(ACCEPTS)  # the hostile rows did reach the errors


def test_the_served_script_replies_the_same_to_every_held_out_and_hostile_row(
    featurizer_script: Path, tmp_path: Path
) -> None:
    environ = {"SAGEMAKER_PROGRAM": PROGRAM}
    with (
        ServerProcess.start(featurizer_script, tmp_path / "compiled.log", environ) as compiled,
        ServerProcess.start(featurizer_script, tmp_path / "plain.log", environ | OFF) as plain,
        requests.Session() as client,
    ):
        statuses = set()
        rows = held_out_rows()
        # Every held-out row in one request, the first hundred one a request, each
        # hostile row alone (every row alone is compared in-process above).
        for body in ["\n".join(rows), *rows[:100], *HOSTILE]:
            replies = [
                client.post(
                    server.url + "/invocations",
                    data=body.encode(),
                    headers={"Content-Type": "text/csv", "Accept": "text/csv"},
                    timeout=30,
                )
                for server in (compiled, plain)
            ]
            got, expected = ((r.status_code, r.headers["Content-Type"], r.content) for r in replies)
            assert got == expected, body
            statuses.add(expected[0])
        assert 200 in statuses and len(statuses) > 1  # answers and refusals both compared
        assert client.get(compiled.url + "/ping", timeout=5).status_code == 200  # still serving


def test_the_compiled_model_is_the_same_instance_and_class(featurizer_script: Path) -> None:
    stage = script_stage(featurizer_script)
    model = stage.model
    assert type(model) is ColumnTransformer and isinstance(model, ColumnTransformer)
    assert set(vars(model)) - set(vars(script_stage(featurizer_script, **OFF).model)) == {
        "transform"
    }
    assert model.get_params()["transformers"][0][0] == "numeric"


def model_script(model_dir: Path, model_source: str) -> None:
    """A script whose model_fn builds `model_source` (fitted) and predict_fn calls predict."""
    (model_dir / "code").mkdir()
    (model_dir / "code" / "inference.py").write_text(
        "import numpy as np\n"
        "from sklearn.ensemble import RandomForestRegressor\n"
        "from sklearn.linear_model import LinearRegression\n"
        "from sklearn.pipeline import Pipeline\n\n"
        "class OwnPipeline(Pipeline):\n"
        "    def predict(self, X, **params):\n"
        "        return super().predict(X, **params) + 1\n\n"
        "def model_fn(model_dir):\n"
        "    features = np.arange(20.0).reshape(10, 2)\n"
        f"    return {model_source}.fit(features, features[:, 0])\n"
    )


@pytest.mark.parametrize(
    "model_source",
    ["RandomForestRegressor(n_estimators=2)", "OwnPipeline([('linear', LinearRegression())])"],
)
def test_a_model_the_compiler_does_not_know_is_left_untouched(
    tmp_path: Path, model_source: str
) -> None:
    model_script(tmp_path, model_source)
    stage = load(None, tmp_path, Settings.from_env({}))
    assert isinstance(stage, ScriptStage)
    assert not any(callable(value) for value in vars(stage.model).values())
    if isinstance(stage.model, Pipeline):  # a subclass's own predict is what answers
        assert stage.model.predict([[1.0, 2.0]])[0] == pytest.approx(2.0)
    else:
        assert isinstance(stage.model, RandomForestRegressor)


def test_a_script_without_a_scikit_learn_model_loads_no_compiler(tmp_path: Path) -> None:
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "inference.py").write_text(
        "def model_fn(model_dir):\n    return {'scale': 2}\n"
        "def transform_fn(model, body, content_type, accept):\n    return body\n"
    )
    # A fresh interpreter: this one has long imported scikit-learn.
    probe = (
        "import sys; from pathlib import Path; from inferline.stages import load; "
        "from inferline.containers.core.settings import Settings; "
        f"stage = load(None, Path({str(tmp_path)!r}), Settings.from_env({{}})); "
        "print(type(stage).__name__, stage.model, 'sklearn' in sys.modules)"
    )
    shown = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert shown.stdout.split() == ["ScriptStage", "{'scale':", "2}", "False"], shown.stderr


def test_the_off_switch_also_turns_off_the_estimator_files_compiled_path(
    featurizer_dir: Path,
) -> None:
    compiled = load(None, featurizer_dir, Settings.from_env({}))
    plain = load(None, featurizer_dir, Settings.from_env(OFF))
    assert isinstance(compiled, SklearnStage) and isinstance(plain, SklearnStage)
    assert compiled.compiled is not None and plain.compiled is None
    for value in ("true", "1", "yes"):
        on = load(None, featurizer_dir, Settings.from_env({"INFERLINE_SKLEARN_COMPILE": value}))
        assert isinstance(on, SklearnStage) and on.compiled is not None
    with pytest.raises(ConfigurationError, match="INFERLINE_SKLEARN_COMPILE"):
        load(None, featurizer_dir, Settings.from_env({"INFERLINE_SKLEARN_COMPILE": "maybe"}))

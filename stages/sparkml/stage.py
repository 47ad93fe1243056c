"""The Spark ML stage: a bundle behind the AWS SparkML container's contract.

The schema comes from the request (a JSON ``"schema"``), else from
SAGEMAKER_SPARKML_SCHEMA, else from schema.json beside the bundle. Rows are cast
to leap-frame columns, run through the bundle in one go, and the schema's output
column is written one line per row. This path avoids pandas: one row costs tens of
microseconds, not milliseconds.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from inferline.containers.core.archive import MAX_ARCHIVE_MEMBERS
from inferline.containers.core.errors import (
    BadRequest,
    ConfigurationError,
    ModelLoadError,
    UnprocessableEntity,
)
from inferline.containers.core.invocation import Answer, ExecutionParameters, Invocation
from inferline.stages.sparkml import wire
from inferline.stages.sparkml.bundle import Bundle, load_bundle
from inferline.stages.sparkml.columns import rows_of
from inferline.stages.sparkml.schema import SparkSchema

log = logging.getLogger("inferline.sparkml")

SCHEMA_FILE = "schema.json"
NO_SCHEMA = (
    "Input schema has to be provided either via environment variable, schema.json or the request"
)


class SparkMLStage:
    """Serves one MLeap bundle; `schema` is the default when a request brings none."""

    def __init__(self, bundle: Bundle, schema: SparkSchema | None) -> None:
        self.bundle = bundle
        self.schema = schema
        if schema is not None:
            self._check(schema, ModelLoadError)

    @classmethod
    def load(
        cls,
        model_dir: Path,
        schema_json: str | None = None,
        members: int = MAX_ARCHIVE_MEMBERS,
    ) -> SparkMLStage:
        """Load the bundle in `model_dir` (bundle.json + root/, or one bundle .zip);
        `schema_json` is SAGEMAKER_SPARKML_SCHEMA's value, when set; a zip of more than
        `members` entries is refused (INFERLINE_MAX_ARCHIVE_MEMBERS)."""
        bundle = load_bundle(_bundle_path(model_dir), members)
        schema = _default_schema(model_dir, schema_json)
        log.info(
            "loaded Spark ML bundle %s: reads %s, writes %s",
            bundle.name,
            ", ".join(bundle.input_columns),
            ", ".join(bundle.output_columns),
        )
        return cls(bundle, schema)

    def invoke(self, invocation: Invocation) -> Answer:
        request = wire.CODECS.decode(invocation)
        schema = self._schema_of(request.schema)
        rows = request.rows(schema)
        if not rows:
            raise BadRequest("the request holds no rows")
        result = self.bundle.run(schema.frame(rows))
        output = result[schema.output.name]
        if rows_of(output) != len(rows):
            raise UnprocessableEntity(
                f"{len(rows) - rows_of(output)} of {len(rows)} rows were dropped by an op with "
                "handle_invalid='skip'; this stage answers one line per row, so it cannot "
                "answer for them"
            )
        return wire.CODECS.encode(
            wire.Output(output, schema.output), invocation.accept, wire.DEFAULT_ACCEPT
        )

    def execution_parameters(self, defaults: ExecutionParameters) -> ExecutionParameters:
        # Unlike the AWS container (SINGLE_RECORD), every codec here takes many rows.
        return {**defaults, "BatchStrategy": "MULTI_RECORD"}

    def _schema_of(self, document: Any) -> SparkSchema:
        if document is None:
            if self.schema is None:
                raise BadRequest(NO_SCHEMA)
            return self.schema
        schema = SparkSchema.parse(document, "the request's schema", BadRequest)
        self._check(schema, BadRequest)
        return schema

    def _check(self, schema: SparkSchema, error: type[Exception]) -> None:
        missing = [name for name in self.bundle.input_columns if name not in schema.names]
        if missing:
            raise error(
                f"the schema lacks input column(s) {', '.join(map(repr, missing))} that "
                f"the bundle reads (it reads {', '.join(self.bundle.input_columns)})"
            )
        known = [*self.bundle.input_columns, *self.bundle.output_columns]
        if schema.output.name not in known:
            raise error(
                f"the schema's output {schema.output.name!r} is not a column of the "
                f"bundle; it produces {', '.join(self.bundle.output_columns)}"
            )


def _bundle_path(model_dir: Path) -> Path:
    if (model_dir / "bundle.json").is_file() or not model_dir.is_dir():
        return model_dir
    zips = sorted(model_dir.glob("*.zip"))
    if len(zips) == 1:
        return zips[0]
    raise ModelLoadError(
        f"{model_dir} holds no bundle.json (nor a single bundle .zip); "
        "extract the MLeap bundle there"
    )


def _default_schema(model_dir: Path, schema_json: str | None) -> SparkSchema | None:
    if schema_json:
        return SparkSchema.parse(
            _json(schema_json, "SAGEMAKER_SPARKML_SCHEMA"),
            "SAGEMAKER_SPARKML_SCHEMA",
            ConfigurationError,
        )
    path = model_dir / SCHEMA_FILE
    if model_dir.is_dir() and path.is_file():
        return SparkSchema.parse(_json(path.read_text(), str(path)), str(path), ModelLoadError)
    return None


def _json(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise ConfigurationError(f"{source} is not valid JSON: {error}") from None

"""`inferline transform`: a SageMaker batch transform job on this machine.

Options are named as the SageMaker Python SDK's `Transformer` names them; ``--job``
takes a CreateTransformJob request as is instead. Exit status: 0 when every file has
its output, 1 when some failed (the others are written), 2 for a bad job.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from inferline.containers.core.errors import ConfigurationError

RUNTIMES = ("process", "docker", "inprocess")  # engine.RUNTIMES; kept here for a light --help
JOB_OPTIONS = (
    "input",
    "output",
    "data_type",
    "content_type",
    "split_type",
    "compression_type",
    "strategy",
    "max_payload",
    "max_concurrent_transforms",
    "accept",
    "assemble_with",
    "input_filter",
    "output_filter",
    "join_source",
    "invocations_timeout",
    "invocations_max_retries",
    "env",
)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "transform",
        help="run a batch transform job over local files or s3:// with SageMaker's semantics",
        description="Run every input file through the pipeline and write one <name>.out per "
        "file into --output, as a SageMaker batch transform job does. Give the job either "
        "as options (named as the SageMaker SDK's Transformer names them) or as a "
        "CreateTransformJob request with --job. A job run again with the same arguments "
        "skips the files already complete. See docs/batch.md.",
    )
    parser.add_argument("pipeline", type=Path, help="the model: a CreateModel (or endpoint) file")
    parser.add_argument(
        "--job",
        type=Path,
        help="a CreateTransformJob request (JSON); S3Uri and "
        "S3OutputPath may be local paths or file:// URLs",
    )
    parser.add_argument("--input", help="input file, directory, manifest or s3:// prefix")
    parser.add_argument("--output", help="output directory or s3:// prefix")
    parser.add_argument(
        "--data-type",
        choices=("S3Prefix", "ManifestFile"),
        help="S3DataType (default S3Prefix: a file, a directory or a prefix)",
    )
    parser.add_argument("--content-type", help="ContentType sent with every request")
    parser.add_argument(
        "--split-type",
        choices=("None", "Line", "RecordIO"),
        help="SplitType (default None: a file is one record)",
    )
    parser.add_argument("--compression-type", choices=("None", "Gzip"), help="CompressionType")
    parser.add_argument("--strategy", choices=("SingleRecord", "MultiRecord"), help="BatchStrategy")
    parser.add_argument("--max-payload", type=int, metavar="MB", help="MaxPayloadInMB (1-100)")
    parser.add_argument(
        "--max-concurrent-transforms",
        type=int,
        metavar="N",
        help="MaxConcurrentTransforms: requests in flight",
    )
    parser.add_argument("--accept", help="Accept sent with every request (to the last container)")
    parser.add_argument("--assemble-with", choices=("None", "Line"), help="AssembleWith")
    parser.add_argument("--input-filter", metavar="JSONPATH", help="DataProcessing InputFilter")
    parser.add_argument("--output-filter", metavar="JSONPATH", help="DataProcessing OutputFilter")
    parser.add_argument(
        "--join-source", choices=("Input", "None"), help="DataProcessing JoinSource"
    )
    parser.add_argument(
        "--invocations-timeout",
        type=int,
        metavar="SECONDS",
        help="ModelClientConfig InvocationsTimeoutInSeconds (default 600)",
    )
    parser.add_argument(
        "--invocations-max-retries",
        type=int,
        metavar="N",
        help="ModelClientConfig InvocationsMaxRetries (default 3)",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="Environment for every container (repeatable)",
    )
    parser.add_argument(
        "--runtime",
        choices=RUNTIMES,
        default="process",
        help="process (default: a server per container, like SageMaker), "
        "docker, or inprocess (every stage in this process, no HTTP)",
    )
    parser.add_argument(
        "--engine",
        choices=("local", "spark"),
        default="local",
        help="local (default: this machine) or spark (pyspark; every worker runs the "
        "stages in-process; see docs/batch.md)",
    )
    parser.add_argument(
        "--master", metavar="URL", help="with --engine spark: Spark's master URL (default local[*])"
    )
    parser.add_argument("--workdir", type=Path, help="scratch directory (default: a temporary one)")
    parser.set_defaults(run=run_transform)


def job_request(args: argparse.Namespace) -> dict[str, Any]:
    """The CreateTransformJob request the arguments describe."""
    if args.job is not None:
        given = [f"--{name.replace('_', '-')}" for name in JOB_OPTIONS if getattr(args, name)]
        if given:
            raise ConfigurationError(f"--job takes the whole request; drop {', '.join(given)}")
        try:
            document = json.loads(args.job.read_text())
        except (OSError, ValueError) as error:
            raise ConfigurationError(f"cannot read {args.job}: {error}") from None
        if not isinstance(document, dict):
            raise ConfigurationError(f"{args.job} must hold a CreateTransformJob request object")
        return document
    if not args.input or not args.output:
        raise ConfigurationError("give --input and --output, or --job JOB.json")
    from inferline.containers.batch.job import request_from_options
    from inferline.containers.batch.runner import load_model

    environment = {}
    for item in args.env:
        key, sep, value = item.partition("=")
        if not sep:
            raise ConfigurationError(f"--env {item!r}: use KEY=VALUE")
        environment[key] = value
    return request_from_options(
        model_name=load_model(args.pipeline).name,
        input_uri=args.input,
        output_uri=args.output,
        name=time.strftime("inferline-transform-%Y%m%d-%H%M%S"),
        data_type=args.data_type or "S3Prefix",
        content_type=args.content_type,
        compression_type=args.compression_type,
        split_type=args.split_type,
        accept=args.accept,
        assemble_with=args.assemble_with,
        strategy=args.strategy,
        max_payload=args.max_payload,
        max_concurrent_transforms=args.max_concurrent_transforms,
        invocations_timeout=args.invocations_timeout,
        invocations_max_retries=args.invocations_max_retries,
        input_filter=args.input_filter,
        output_filter=args.output_filter,
        join_source=args.join_source,
        environment=environment,
    )


def run_transform(args: argparse.Namespace) -> int:
    from inferline.containers.batch.job import TransformJob
    from inferline.containers.batch.runner import run

    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    job = TransformJob.from_request(job_request(args))
    if args.engine == "spark":
        from inferline.containers.batch import spark

        if args.runtime == "docker":
            raise ConfigurationError("--engine spark runs the stages in-process, not in docker")
        summary = spark.run(job, args.pipeline, master=args.master, workdir=args.workdir)
    else:
        if args.master:
            raise ConfigurationError("--master needs --engine spark")
        summary = run(job, args.pipeline, runtime=args.runtime, workdir=args.workdir)
    for line in summary.lines():
        print(line, file=sys.stderr)
    return 0 if summary.ok else 1

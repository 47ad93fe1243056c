"""`make demo`: the four example pipelines, trained from raw data, served locally, invoked by boto3.

    python -m inferline.training.demo [--artifacts DIR] [--retrain]

Each example is trained into ``artifacts/<example>/`` unless that folder already
holds a pipeline trained from the same inputs: the digest of its data set, the
training code and the Spark-to-bundle converter is kept in ``inputs.sha256`` beside
it (``--retrain`` trains anyway, say after changing a stage's save()). Then each
pipeline runs behind a `LocalEndpoint` (its containers are `inferline serve`
processes), boto3's ``sagemaker-runtime`` client sends the example's sample requests,
and the report shows per example the request, the answer, whether it equals the
in-process prediction at training time, each container's latency, and the quality
on held-out rows.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import inferline.stages.sparkml.convert
import inferline.training
from inferline.containers.core.protocol import CONTAINER_LATENCIES
from inferline.containers.harness.local import LocalEndpoint
from inferline.training import data, examples, outputs, samples
from inferline.training.batch_demo import batch_transform
from inferline.training.examples import EXAMPLES, Trained

DIGEST_FILE = "inputs.sha256"
WARM_CALLS = 20
DATASETS = {
    "abalone-sklearn": data.ABALONE.parent,
    "abalone-sparkml": data.ABALONE.parent,
    "car-evaluation": data.CAR.parent,
    "dbpedia": data.DBPEDIA,
}
# What a trained pipeline depends on besides its data: the code that fits the models
# and the converter that writes the Spark ML bundles.
CODE = (
    Path(inferline.training.__file__).parent,
    Path(inferline.stages.sparkml.convert.__file__).parent,
)


@dataclass(frozen=True)
class Call:
    """One sample sent to a running pipeline, and what came back."""

    sample: samples.Sample
    body: bytes
    content_type: str
    matches: bool
    latencies_ms: dict[str, float]


def inputs_digest(name: str) -> str:
    """sha256 over the example's data files and the training and converter sources."""
    digest = hashlib.sha256(name.encode())
    files = sorted(path for path in DATASETS[name].rglob("*") if path.is_file())
    files += sorted(path for root in CODE for path in root.rglob("*.py") if path != Path(__file__))
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def ensure_trained(name: str, out: Path, retrain: bool) -> tuple[Trained, float | None]:
    """The example's pipeline in `out`, trained now unless up to date; and the seconds taken."""
    digest = inputs_digest(name)
    stamp = out / DIGEST_FILE
    if not retrain and stamp.is_file() and stamp.read_text().strip() == digest:
        return Trained(name, out, outputs.read_metrics(out), samples.load(out)), None
    stamp.unlink(missing_ok=True)  # a failed run must not look up to date
    started = time.perf_counter()
    trained = examples.train(name, out)
    stamp.write_text(digest + "\n")
    return trained, time.perf_counter() - started


def invoke(endpoint: LocalEndpoint, trained: Trained) -> list[Call]:
    """Each sample once through boto3, then again WARM_CALLS times for steady latencies."""
    import boto3

    client: Any = boto3.client(
        "sagemaker-runtime",
        endpoint_url=endpoint.url,
        region_name="us-east-1",
        aws_access_key_id="demo",
        aws_secret_access_key="demo",  # noqa: S106  # moto's dummy credentials for a local demo; the harness does not check
    )
    calls = []
    for sample in trained.samples:
        timings: dict[str, list[float]] = {}
        for _ in range(1 + WARM_CALLS):
            response = client.invoke_endpoint(
                EndpointName=endpoint.name,
                Body=sample.body.encode(),
                ContentType=sample.content_type,
                Accept=sample.accept,
            )
            body = response["Body"].read()
            header = response["ResponseMetadata"]["HTTPHeaders"].get(
                CONTAINER_LATENCIES.lower(), ""
            )
            for host, _, micros in (item.partition("=") for item in header.split(",") if item):
                timings.setdefault(host, []).append(int(micros) / 1000)
        answer = samples.parse(body, response["ContentType"])
        calls.append(
            Call(
                sample,
                body,
                response["ContentType"],
                samples.matches(answer, sample.expected),
                {host: statistics.median(values[1:]) for host, values in timings.items()},
            )
        )
    return calls


def quality(metrics: dict[str, Any]) -> str:
    rows = metrics.get("held_out_rows")
    if "rmse" in metrics:
        return f"RMSE {metrics['rmse']:.3f} rings on {rows} held-out rows"
    return f"accuracy {metrics['accuracy']:.4f} on {rows} held-out rows"


def report(trained: Trained, seconds: float | None, calls: list[Call]) -> str:
    hosts = " -> ".join(calls[0].latencies_ms) if calls else ""
    how = "reused from " + str(trained.out) if seconds is None else f"trained in {seconds:.0f} s"
    lines = [f"{trained.name}: {hosts}", f"  quality   {quality(trained.metrics)} ({how})"]
    for call in calls:
        verdict = "equals" if call.matches else "DIFFERS FROM"
        latency = ", ".join(f"{host} {ms:.1f} ms" for host, ms in call.latencies_ms.items())
        lines += [
            f"  request   {call.sample.content_type}: {_short(call.sample.body)}",
            f"  answer    {call.content_type}: {_short(call.body.decode().strip())}"
            f"  ({verdict} the in-process prediction)",
            f"  latency   {latency}  (median of {WARM_CALLS} warm calls)",
        ]
    return "\n".join(lines)


def _short(text: str, width: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m inferline.training.demo",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--artifacts",
        type=Path,
        default=Path("artifacts"),
        help="where the trained pipelines go (default ./artifacts)",
    )
    parser.add_argument("--retrain", action="store_true", help="train even when up to date")
    parser.add_argument(
        "examples",
        nargs="*",
        metavar="EXAMPLE",
        help=f"examples to show (default all: {', '.join(EXAMPLES)})",
    )
    args = parser.parse_args(argv)
    unknown = [name for name in args.examples if name not in EXAMPLES]
    if unknown:
        parser.error(f"unknown example {', '.join(unknown)}; choose from {', '.join(EXAMPLES)}")
    started = time.perf_counter()
    print(
        "inferline demo: SageMaker's inference-pipeline examples, trained from raw data, "
        "served by `inferline serve` containers behind a local endpoint, invoked with boto3\n",
        flush=True,
    )
    all_match = True
    for name in args.examples or EXAMPLES:
        trained, seconds = ensure_trained(name, args.artifacts / name, args.retrain)
        with LocalEndpoint.from_file(trained.out / outputs.PIPELINE) as endpoint:
            calls = invoke(endpoint, trained)
        all_match &= all(call.matches for call in calls)
        print(report(trained, seconds, calls) + "\n", flush=True)
    if not args.examples or "car-evaluation" in args.examples:
        all_match &= batch_transform(args.artifacts, retrain=False) == 0
    print(
        f"done in {time.perf_counter() - started:.0f} s; run one yourself: "
        f"inferline up {args.artifacts}/car-evaluation/pipeline.json"
    )
    return 0 if all_match else 1


if __name__ == "__main__":
    sys.exit(main())

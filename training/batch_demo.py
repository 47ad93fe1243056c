"""`make demo`'s batch transform: car-evaluation over many rows, with progress and summary.

    python -m inferline.training.batch_demo [--artifacts DIR] [--copies N]

Car-evaluation takes one row per real-time request (docs/examples.md). As a batch
transform job it takes thousands per request. The demo writes every car of the UCI
data set (labels dropped), ``--copies`` times over, into a few input files, and runs
`inferline transform`'s engine on them with the process runtime (an `inferline serve`
server per container, as SageMaker runs them). Then it shows the progress, the summary
with each container's latency, and how often the batch answers agree with the data
set's own labels. The pipeline is trained into ``artifacts/car-evaluation`` unless it
is up to date (the same rule as `make demo`).
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from inferline.containers.batch.job import TransformJob, request_from_options
from inferline.containers.batch.runner import run
from inferline.training import data, outputs

EXAMPLE = "car-evaluation"
FILES = 4
DEFAULT_COPIES = 10  # 17,280 rows


def write_inputs(folder: Path, copies: int) -> list[str]:
    """The data set's feature columns, `copies` times, in FILES files; the true labels."""
    lines = [line for line in data.CAR.read_text().splitlines() if line]
    rows = [line.rsplit(",", 1) for line in lines] * copies
    folder.mkdir(parents=True, exist_ok=True)
    per_file = -(-len(rows) // FILES)
    for number in range(FILES):
        part = rows[number * per_file : (number + 1) * per_file]
        (folder / f"cars-{number}.csv").write_text("".join(row[0] + "\n" for row in part))
    return [row[1] for row in rows]


def batch_transform(artifacts: Path, copies: int = DEFAULT_COPIES, retrain: bool = False) -> int:
    """Run the demo's batch transform job; 0 when every file was written."""
    from inferline.training.demo import ensure_trained

    if not logging.getLogger().handlers:  # the job's settings line and progress lines
        logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    trained, _seconds = ensure_trained(EXAMPLE, artifacts / EXAMPLE, retrain)
    with tempfile.TemporaryDirectory(prefix="inferline-batch-demo-") as scratch:
        source, output = Path(scratch) / "in", Path(scratch) / "out"
        truth = write_inputs(source, copies)
        print(
            f"batch transform: {EXAMPLE} over {len(truth)} rows in {FILES} files "
            "(MultiRecord, up to 6 MB per request)",
            flush=True,
        )
        request = request_from_options(
            model_name=trained.name,
            input_uri=str(source),
            output_uri=str(output),
            name="car-evaluation-demo",
            content_type="text/csv",
            accept="text/csv",
            split_type="Line",
            assemble_with="Line",
            strategy="MultiRecord",
        )
        summary = run(TransformJob.from_request(request), trained.out / outputs.PIPELINE)
        for line in summary.lines():
            print(line)
        answers = [
            label
            for number in range(FILES)
            for label in (output / f"cars-{number}.csv.out").read_text().splitlines()
        ]
        agree = sum(answer == true for answer, true in zip(answers, truth, strict=True))
        share = agree / len(truth)
        print(f"agreement with the data set's labels: {share:.3f} ({agree}/{len(truth)})")
    return 0 if summary.ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m inferline.training.batch_demo",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--artifacts", type=Path, default=Path("artifacts"))
    parser.add_argument("--copies", type=int, default=DEFAULT_COPIES, help="copies of the data set")
    parser.add_argument("--retrain", action="store_true", help="train even when up to date")
    args = parser.parse_args(argv)
    return batch_transform(args.artifacts, args.copies, args.retrain)


if __name__ == "__main__":
    sys.exit(main())

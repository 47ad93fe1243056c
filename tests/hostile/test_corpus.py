"""The hostile corpus against a real `inferline serve` of every stage kind.

Each kind's conformance example (tests/conformance/examples.py) is served by real
gunicorn on loopback; every request of tests/hostile/corpus.py is sent to it. Each
gets one of its expected statuses, every 4xx is our JSON error with a message, no
request gets a 5xx, the master's and workers' memory after the corpus is within 10%
of before, a normal request right after succeeds, and no client text forged a log
line. With HOSTILE_RESULTS set, the outcomes are written there for `make hostile`.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from inferline import stages
from inferline.containers.server import escape_controls
from tests.conformance.examples import EXAMPLES, Example
from tests.hostile.corpus import Hostile, corpus, inference_id_hostiles
from tests.hostile.send import Outcome, rss_bytes, send
from tests.servers import ServerProcess

KINDS = sorted(stages.kinds())
MEMORY_GROWTH = 0.10
WARM_UP_ROUNDS = 20


@pytest.fixture(scope="module", params=KINDS)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Example, ServerProcess]]:
    kind: str = request.param
    model_dir = tmp_path_factory.mktemp(kind)
    example = EXAMPLES[kind](model_dir)
    log = tmp_path_factory.mktemp(f"{kind}-log") / "server.log"
    with ServerProcess.start(
        model_dir, log, env={**example.environ, "INFERLINE_STAGE": kind}
    ) as server:
        yield kind, example, server


def good_requests_succeed(example: Example, server: ServerProcess) -> None:
    for content_type, body in example.requests.items():
        outcome = send(server.port, Hostile("good", "good", content_type, body))
        assert outcome.status == 200, f"a good {content_type} request got {outcome}"


def check(hostile: Hostile, outcome: Outcome) -> str | None:
    """What is wrong with `outcome` for `hostile`, or None."""
    if hostile.expect is None:
        return None
    if outcome.status not in hostile.expect:
        return f"got {outcome.status}, expected one of {sorted(hostile.expect)}"
    if outcome.status is not None and 400 <= outcome.status < 500:
        if outcome.content_type != "application/json" or not outcome.error or not outcome.message:
            return f"a {outcome.status} that is not our JSON error: {outcome}"
    return None


def test_every_hostile_request_gets_its_4xx_and_the_server_keeps_serving(
    served: tuple[str, Example, ServerProcess],
) -> None:
    kind, example, server = served
    for _ in range(WARM_UP_ROUNDS):
        good_requests_succeed(example, server)
    before = rss_bytes(server.process.pid)
    requests = corpus(example.requests)
    outcomes = [(hostile, send(server.port, hostile)) for hostile in requests]
    after = rss_bytes(server.process.pid)
    wrong = [f"{h.name}: {why}" for h, o in outcomes if (why := check(h, o)) is not None]
    assert not wrong, f"{kind}: {len(wrong)} of {len(requests)}:\n" + "\n".join(wrong)
    assert not [h.name for h, o in outcomes if o.status is not None and o.status >= 500]
    good_requests_succeed(example, server)
    assert server.process.poll() is None, "the server died"
    assert after <= before * (1 + MEMORY_GROWTH), (
        f"{kind}: memory grew from {before / 2**20:.1f} MiB to {after / 2**20:.1f} MiB"
    )
    _record(kind, outcomes, before, after)


def test_client_text_cannot_forge_or_garble_a_log_line(
    served: tuple[str, Example, ServerProcess],
) -> None:
    kind, example, server = served
    content_type, body = next(iter(example.requests.items()))
    logged = []
    for name, value in inference_id_hostiles():
        hostile = Hostile(
            name, "log forgery", content_type, body, {"X-Amzn-SageMaker-Inference-Id": value}
        )
        # gunicorn refuses most control characters in a header itself (our JSON 400);
        # what it lets through must reach the log escaped.
        outcome = send(server.port, hostile)
        assert outcome.status in (200, 400) and check(hostile, outcome) is None, outcome
        if outcome.status == 200:
            logged.append(value)
    send(server.port, Hostile("newline", "log forgery", content_type, body, path="/x%0aFORGED"))
    good_requests_succeed(example, server)  # the access lines above are written by now
    log = server.output()
    assert not any(line.startswith("FORGED") for line in log.splitlines())
    assert not any(char in log for char in "\x1b\x0b\x0c\x7f\x85")
    assert "/x\\x0aFORGED" in log, "the path is logged, escaped"
    for value in logged:
        assert escape_controls(value) in log


def _record(kind: str, outcomes: list[tuple[Hostile, Outcome]], before: int, after: int) -> None:
    """Write this kind's outcomes for `make hostile` (docs/reliability.md)."""
    folder = os.environ.get("HOSTILE_RESULTS")
    if not folder:
        return
    statuses: dict[str, Counter[str]] = {}
    for hostile, outcome in outcomes:
        shown = "no answer (client left)" if outcome.status is None else str(outcome.status)
        statuses.setdefault(hostile.category, Counter())[shown] += 1
    result = {
        "kind": kind,
        "requests": len(outcomes),
        "rss_before": before,
        "rss_after": after,
        "server_errors": sum(1 for _, o in outcomes if o.status is not None and o.status >= 500),
        "categories": {name: dict(counts) for name, counts in sorted(statuses.items())},
    }
    Path(folder).mkdir(parents=True, exist_ok=True)
    (Path(folder) / f"{kind}.json").write_text(json.dumps(result, indent=1))

"""`inferline up | invoke | update | down | logs`: the harness from the command line.

`up` serves in the foreground until SIGINT/SIGTERM (SIGHUP re-reads the definition,
or the one `inferline update` left); `up --detach` runs the same in the background.
Either way ``./.inferline/<name>/state.json`` tells the other commands where it is.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from inferline.containers.core import protocol
from inferline.containers.harness import state as states

if TYPE_CHECKING:
    from inferline.containers.core.definition import EndpointSpec
    from inferline.containers.harness.local import LocalEndpoint

STOP_SECONDS = 60.0
POLL_SECONDS = 0.1


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    up = subparsers.add_parser(
        "up",
        help="run a pipeline or endpoint file as a local SageMaker endpoint",
        description="Start every container of PIPELINE (a CreateModel request, or an endpoint file "
        "with ProductionVariants and Models; JSON or YAML), wait until healthy, and serve "
        "SageMaker Runtime's API: POST /endpoints/<name>/invocations.",
    )
    up.add_argument("definition", type=Path, metavar="PIPELINE")
    up.add_argument(
        "--port", type=int, default=8080, help="harness port (default 8080; 0 = any free)"
    )
    up.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    up.add_argument("--runtime", choices=("process", "docker"), default="process")
    up.add_argument("--name", help="endpoint name (default: the file's ModelName or EndpointName)")
    up.add_argument(
        "--timeout", type=float, default=60.0, help="seconds per invocation (default 60)"
    )
    up.add_argument("--detach", "-d", action="store_true", help="run in the background")
    _home(up)
    up.set_defaults(run=run_up)

    invoke = subparsers.add_parser("invoke", help="invoke a running endpoint and print the answer")
    invoke.add_argument("endpoint", metavar="ENDPOINT", help="endpoint name")
    invoke.add_argument("--body", required=True, help="the body: TEXT, or @FILE to read a file")
    invoke.add_argument("--content-type", help="request Content-Type")
    invoke.add_argument("--accept", help="Accept for the last container")
    invoke.add_argument("--target-variant")
    invoke.add_argument("--target-container", help="container hostname (Direct mode)")
    invoke.add_argument("--url", help="harness URL (default: from the running harness's state)")
    _home(invoke)
    invoke.set_defaults(run=run_invoke)

    update = subparsers.add_parser(
        "update", help="switch a running endpoint to a new definition, no downtime"
    )
    update.add_argument("definition", type=Path, metavar="ENDPOINT_FILE")
    update.add_argument("--name", help="endpoint to update (default: the file's name)")
    _home(update)
    update.set_defaults(run=run_update)

    down = subparsers.add_parser("down", help="stop a running harness and its containers")
    down.add_argument(
        "name", nargs="?", metavar="NAME", help="endpoint name (default: the only one)"
    )
    _home(down)
    down.set_defaults(run=run_down)

    logs = subparsers.add_parser("logs", help="print a container's log (or list the logs)")
    logs.add_argument("container", nargs="?", metavar="CONTAINER")
    logs.add_argument("--name", help="endpoint name (default: the only one)")
    _home(logs)
    logs.set_defaults(run=run_logs)


def _home(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--home",
        type=Path,
        default=states.DEFAULT_HOME,
        help="where harness state lives (default ./.inferline)",
    )


def run_up(args: argparse.Namespace) -> int:
    from inferline.containers.core import definition

    spec = definition.load(args.definition, args.name)  # a bad file fails before anything starts
    folder = states.directory(args.home, spec.name)
    if (folder / states.STATE_FILE).exists() and states.is_running(states.State.read(folder).pid):
        print(
            f"endpoint {spec.name} is already up; `inferline down {spec.name}` first",
            file=sys.stderr,
        )
        return 1
    if args.detach:
        return _detach(args, spec.name, folder)
    return _serve(args, spec, folder)


def _serve(args: argparse.Namespace, spec: EndpointSpec, folder: Path) -> int:
    import queue

    from inferline.containers.harness.local import LocalEndpoint

    # Until serving, SIGTERM unwinds like Ctrl-C does, so started containers are stopped.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    endpoint = LocalEndpoint(
        spec,
        port=args.port,
        host=args.host,
        runtime=args.runtime,
        workdir=folder.resolve(),
        timeout=args.timeout,
    )
    state = states.State(spec.name, os.getpid(), "", str(args.definition.resolve()))
    try:
        endpoint.start()
        signals: queue.SimpleQueue[int] = queue.SimpleQueue()  # put() is signal-handler safe
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(number, lambda received, frame: signals.put(received))
        state.url = endpoint.url
        _describe(endpoint, state)
        while signals.get() == signal.SIGHUP:
            _reload(endpoint, state, folder)
        return 0
    finally:
        (folder / states.STATE_FILE).unlink(missing_ok=True)
        endpoint.close()


def _exit_on_signal(number: int, frame: object) -> None:
    raise SystemExit(128 + number)


def _reload(endpoint: LocalEndpoint, state: states.State, folder: Path) -> None:
    """SIGHUP: switch to the definition `inferline update` left, else re-read the current one."""
    from inferline.containers.core import definition
    from inferline.containers.core.errors import InferlineError

    pending = folder / states.UPDATE_FILE
    path = Path(state.definition)
    if pending.exists():
        path = Path(json.loads(pending.read_text())["definition"])
        pending.unlink()
    try:
        endpoint.update(definition.load(path, endpoint.name))
        state.definition, state.update_error = str(path), None
        print(f"endpoint {endpoint.name} now serves {path}", flush=True)
    except InferlineError as error:
        state.update_error = str(error)
        print(
            f"update failed, still serving the previous one: {error}", file=sys.stderr, flush=True
        )
    state.generation += 1
    _describe(endpoint, state, quiet=True)


def _describe(endpoint: LocalEndpoint, state: states.State, quiet: bool = False) -> None:
    """Record the live containers' logs in the state file; print where to call."""
    state.logs = {c.hostname: str(c.log_path) for c in endpoint.endpoint.deployment.containers}
    state.save(endpoint.workdir)
    if quiet:
        return
    print(
        f"endpoint {endpoint.name} is up: "
        f"POST {endpoint.url}/endpoints/{endpoint.name}/invocations",
        flush=True,
    )
    for hostname, log in state.logs.items():
        print(f"  {hostname}: log {log}", flush=True)


def _detach(args: argparse.Namespace, name: str, folder: Path) -> int:
    folder.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "inferline.containers",
        "up",
        str(args.definition.resolve()),
        "--port",
        str(args.port),
        "--host",
        args.host,
        "--runtime",
        args.runtime,
        "--name",
        name,
        "--timeout",
        str(args.timeout),
        "--home",
        str(args.home.resolve()),
    ]
    log = folder / "harness.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    while process.poll() is None:
        try:
            state = states.State.read(folder)
        except states.StateError:
            state = None
        if state is not None and state.pid == process.pid and state.url:
            print(
                f"endpoint {name} is up at {state.url} (pid {process.pid}); "
                f"logs: inferline logs --name {name}"
            )
            return 0
        time.sleep(POLL_SECONDS)
    print(f"inferline up failed:\n{log.read_text(errors='replace')}", file=sys.stderr)
    return 1


def run_invoke(args: argparse.Namespace) -> int:
    import urllib3

    url = args.url or states.find(args.home, args.endpoint)[1].url
    body = Path(args.body[1:]).read_bytes() if args.body.startswith("@") else args.body.encode()
    headers = {
        name: value
        for name, value in (
            ("Content-Type", args.content_type),
            ("Accept", args.accept),
            (protocol.TARGET_VARIANT, args.target_variant),
            (protocol.TARGET_CONTAINER, args.target_container),
        )
        if value
    }
    response = urllib3.request(
        "POST",
        f"{url}/endpoints/{args.endpoint}/invocations",
        body=body,
        headers=headers,
        timeout=urllib3.Timeout(connect=5, read=120),
        retries=False,
    )
    if response.status != 200:
        print(f"{response.status}: {response.data.decode(errors='replace')}", file=sys.stderr)
        return 1
    sys.stdout.buffer.write(response.data)
    if not response.data.endswith(b"\n"):
        sys.stdout.buffer.write(b"\n")
    sys.stdout.flush()
    variant = response.headers.get(protocol.INVOKED_VARIANT)
    latencies = response.headers.get(protocol.CONTAINER_LATENCIES, "")
    timing = ", ".join(
        f"{host} {int(us) / 1000:.1f} ms"
        for host, _, us in (item.partition("=") for item in latencies.split(",") if item)
    )
    print(
        f"variant {variant}, content type {response.headers.get('Content-Type')}: {timing}",
        file=sys.stderr,
    )
    return 0


def run_update(args: argparse.Namespace) -> int:
    from inferline.containers.core import definition

    spec = definition.load(args.definition, args.name)
    folder, state = states.find(args.home, spec.name)
    (folder / states.UPDATE_FILE).write_text(
        json.dumps({"definition": str(args.definition.resolve())})
    )
    os.kill(state.pid, signal.SIGHUP)
    while states.is_running(state.pid):
        current = states.State.read(folder)
        if current.generation > state.generation:
            if current.update_error:
                print(
                    "update failed; still serving the previous definition:\n"
                    f"{current.update_error}",
                    file=sys.stderr,
                )
                return 1
            print(f"endpoint {spec.name} updated to {args.definition}")
            return 0
        time.sleep(POLL_SECONDS)
    print(f"the harness of {spec.name} exited during the update", file=sys.stderr)
    return 1


def run_down(args: argparse.Namespace) -> int:
    folder, state = states.find(args.home, args.name)
    if states.is_running(state.pid):
        os.kill(state.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    while states.is_running(state.pid) and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
    if states.is_running(state.pid):
        print(
            f"harness {state.name} (pid {state.pid}) did not stop within {STOP_SECONDS:g} s",
            file=sys.stderr,
        )
        return 1
    (folder / states.STATE_FILE).unlink(missing_ok=True)
    print(f"endpoint {state.name} is down")
    return 0


def run_logs(args: argparse.Namespace) -> int:
    _, state = states.find(args.home, args.name)
    if args.container is None:
        for hostname, log in state.logs.items():
            print(f"{hostname}\t{log}")
        return 0
    if args.container not in state.logs:
        print(
            f"no container {args.container!r}; choose one of {', '.join(state.logs)}",
            file=sys.stderr,
        )
        return 1
    sys.stdout.write(Path(state.logs[args.container]).read_text(errors="replace"))
    return 0

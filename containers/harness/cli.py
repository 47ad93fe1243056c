"""`inferline up | invoke | update | down | logs`: the harness's arguments and what each runs.

Parsing only; the long-running side (serving until a signal, detaching, SIGHUP
updates, stopping by pid) is `harness.daemon`, the HTTP call of `invoke` is
`harness.client`. Heavy imports stay inside the handlers, so `inferline --help` is fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from inferline.containers.harness import state as states
from inferline.containers.harness.runtime import RUNTIMES


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]  # argparse's private generic
    up = subparsers.add_parser(
        "up",
        help="run a pipeline file as a local SageMaker endpoint, or with no file an empty "
        "local SageMaker (boto3's sagemaker client)",
        description="Deploy PIPELINE (a CreateModel request, or an endpoint file with "
        "ProductionVariants and Models; JSON or YAML) through a local SageMaker control plane "
        "(CreateModel, CreateEndpointConfig, CreateEndpoint), wait until InService, and serve "
        "SageMaker Runtime's API (POST /endpoints/<name>/invocations) and boto3's sagemaker "
        "API on the same port.",
    )
    up.add_argument(
        "definition",
        type=Path,
        metavar="PIPELINE",
        nargs="?",
        help="without it: an empty local SageMaker control plane (docs/control-plane.md)",
    )
    up.add_argument(
        "--port", type=int, default=8080, help="harness port (default 8080; 0 = any free)"
    )
    up.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    up.add_argument("--runtime", choices=tuple(RUNTIMES), default="process")
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
    invoke.add_argument("--custom-attributes", help="X-Amzn-SageMaker-Custom-Attributes")
    invoke.add_argument("--target-variant")
    invoke.add_argument("--target-container", help="container hostname (Direct mode)")
    invoke.add_argument("--inference-id")
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

    if args.definition is None:
        from inferline.containers.controlplane import commands

        return commands.run_up(args)
    spec = definition.load(args.definition, args.name)  # a bad file fails before anything starts
    folder = states.directory(args.home, spec.name)
    if (folder / states.STATE_FILE).exists() and states.is_running(states.State.read(folder).pid):
        print(
            f"endpoint {spec.name} is already up; `inferline down {spec.name}` first",
            file=sys.stderr,
        )
        return 1
    if args.detach:
        from inferline.containers.harness import daemon

        return daemon.detach(_foreground_up(args, spec.name), spec.name, folder)
    if args.runtime == "process":
        # The images' zygotes import the serving stack (most of a cold start) while
        # this process imports the rest of the harness and its control plane.
        from inferline.containers.harness import process

        process.prestart(spec)
    from inferline.containers.harness import daemon

    return daemon.serve(
        spec,
        folder,
        args.definition,
        port=args.port,
        host=args.host,
        runtime=args.runtime,
        timeout=args.timeout,
    )


def _foreground_up(args: argparse.Namespace, name: str) -> list[str]:
    """The `inferline up` a detached harness runs: these arguments, without --detach."""
    return [
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


def run_invoke(args: argparse.Namespace) -> int:
    from inferline.containers.core.errors import InvocationError
    from inferline.containers.harness.client import EndpointClient

    url = args.url or states.find(args.home, args.endpoint)[1].url
    body = Path(args.body[1:]).read_bytes() if args.body.startswith("@") else args.body.encode()
    with EndpointClient(url, args.endpoint) as client:
        try:
            answer = client.invoke(
                body,
                args.content_type,
                args.accept,
                custom_attributes=args.custom_attributes,
                target_variant=args.target_variant,
                target_container=args.target_container,
                inference_id=args.inference_id,
            )
        except InvocationError as error:
            print(f"{error.status} {error.error_type}: {error.message}", file=sys.stderr)
            return 1
    sys.stdout.buffer.write(answer.body)
    if not answer.body.endswith(b"\n"):
        sys.stdout.buffer.write(b"\n")
    sys.stdout.flush()
    timing = ", ".join(f"{host} {us / 1000:.1f} ms" for host, us in answer.latencies.items())
    print(
        f"variant {answer.variant}, content type {answer.content_type}: {timing}", file=sys.stderr
    )
    if answer.custom_attributes is not None:
        print(f"custom attributes: {answer.custom_attributes}", file=sys.stderr)
    return 0


def run_update(args: argparse.Namespace) -> int:
    from inferline.containers.core import definition
    from inferline.containers.harness import daemon

    spec = definition.load(args.definition, args.name)
    folder, state = states.find(args.home, spec.name)
    error = daemon.request_update(folder, state, args.definition)
    if error is not None:
        print(f"update failed; still serving the previous definition:\n{error}", file=sys.stderr)
        return 1
    print(f"endpoint {spec.name} updated to {args.definition}")
    return 0


def run_down(args: argparse.Namespace) -> int:
    from inferline.containers.harness import daemon

    folder, state = states.find(args.home, args.name)
    if not daemon.stop(folder, state):
        print(
            f"harness {state.name} (pid {state.pid}) did not stop within {daemon.STOP_SECONDS:g} s",
            file=sys.stderr,
        )
        return 1
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

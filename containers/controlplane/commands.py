"""`inferline up --port P` with no PIPELINE: serve the control plane until SIGINT/SIGTERM.

It records a harness-format state file, ``<home>/controlplane/state.json`` (name
``controlplane``, pid, url), so ``inferline down controlplane`` (or ``inferline down``
when it is the only one running) stops it the way it stops a harness: SIGTERM, after
which every container stops and the data capture buffers are written. What was
created stays in ``resources.json`` beside it, for the next ``inferline up``.
"""

from __future__ import annotations

import argparse
import os
import queue
import signal
import sys

from inferline.containers.harness import state as states

NAME = "controlplane"


def run_up(args: argparse.Namespace) -> int:
    """`inferline up` without a definition file (args: port, host, runtime, home, detach)."""
    folder = states.directory(args.home, NAME)
    if (folder / states.STATE_FILE).exists() and states.is_running(states.State.read(folder).pid):
        print(f"the control plane is already up; `inferline down {NAME}` first", file=sys.stderr)
        return 1
    if args.detach:
        from inferline.containers.harness import daemon

        return daemon.detach(_foreground(args), NAME, folder)
    return serve(args)


def serve(args: argparse.Namespace) -> int:
    """Serve in the foreground until SIGINT or SIGTERM, then stop every container."""
    from inferline.containers.controlplane.server import ControlPlane

    # Until serving, SIGTERM unwinds like Ctrl-C does, so started containers are stopped.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    plane = ControlPlane(args.home, args.runtime, host=args.host, port=args.port)
    folder = plane.directory
    try:
        plane.start()
        signals: queue.SimpleQueue[int] = queue.SimpleQueue()  # put() is signal-handler safe
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, lambda received, frame: signals.put(received))
        states.State(NAME, os.getpid(), plane.url, "").save(folder)
        print(
            f"local SageMaker is up at {plane.url}: boto3.client('sagemaker', "
            f"endpoint_url='{plane.url}') and 'sagemaker-runtime' alike; page {plane.url}/",
            flush=True,
        )
        signals.get()
        return 0
    finally:
        (folder / states.STATE_FILE).unlink(missing_ok=True)
        plane.close()


def _exit_on_signal(number: int, frame: object) -> None:
    raise SystemExit(128 + number)


def _foreground(args: argparse.Namespace) -> list[str]:
    """The `inferline up` a detached control plane runs: these arguments, without --detach."""
    return [
        sys.executable,
        "-m",
        "inferline.containers",
        "up",
        "--port",
        str(args.port),
        "--host",
        args.host,
        "--runtime",
        args.runtime,
        "--home",
        str(args.home.resolve()),
    ]

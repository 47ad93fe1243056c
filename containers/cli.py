"""The `inferline` command: one subcommand per module, each adding its own parser.

Every command module exposes ``register(subparsers)`` and keeps heavy imports inside
its handlers, so ``inferline --help`` stays fast; a named command imports only the
module that registers it (`COMMANDS`), so ``inferline up`` does not pay for the others.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from inferline.containers.core.errors import InferlineError

COMMAND_MODULES = (
    "inferline.containers.commands",
    "inferline.containers.harness.cli",
    "inferline.containers.images.command",
    "inferline.containers.export",
    "inferline.containers.batch.commands",
    "inferline.containers.fit.commands",
    "inferline.stages.sparkml.convert.commands",
    "inferline.training.commands",
)
# Which module registers each command (tests/harness/test_coldstart.py holds it to what
# they register): the modules' own imports (numpy for `package`, botocore for others) are
# most of a command's start, and `inferline up` is on the critical path of a cold start.
COMMANDS = {
    "serve": "inferline.containers.commands",
    "up": "inferline.containers.harness.cli",
    "invoke": "inferline.containers.harness.cli",
    "update": "inferline.containers.harness.cli",
    "down": "inferline.containers.harness.cli",
    "logs": "inferline.containers.harness.cli",
    "build": "inferline.containers.images.command",
    "export": "inferline.containers.export",
    "transform": "inferline.containers.batch.commands",
    "fit": "inferline.containers.fit.commands",
    "package": "inferline.stages.sparkml.convert.commands",
    "train": "inferline.training.commands",
}


def parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or with `command` (a name in `COMMANDS`) just that one's."""
    root = argparse.ArgumentParser(
        prog="inferline",
        description="Serve scikit-learn, Spark ML and model stages as SageMaker-compatible "
        "containers, and run whole inference pipelines locally.",
    )
    subparsers = root.add_subparsers(dest="command", required=True, metavar="COMMAND")
    names = (COMMANDS[command],) if command in COMMANDS else COMMAND_MODULES
    for name in names:
        importlib.import_module(name).register(subparsers)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    # `--help`, no command or an unknown one: the whole parser, to list every command.
    command = arguments[0] if arguments and arguments[0] in COMMANDS else None
    args = parser(command).parse_args(arguments)
    try:
        result: int | None = args.run(args)
    except InferlineError as error:
        print(f"inferline {args.command}: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return result or 0


if __name__ == "__main__":
    sys.exit(main())

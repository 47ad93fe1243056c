"""Fuzz one request decoder with atheris (libFuzzer), by its catalogue name.

    .venv/bin/python fuzz/decoders.py default:application/json -runs=2000
    .venv/bin/python fuzz/decoders.py all -runs=64000     # every decoder, by first byte
    .venv/bin/python fuzz/decoders.py --list

Every input is decoded as a stage would (tests/property/catalogue.py); a crash is any
exception other than a 4xx `ServingError`, which libFuzzer reports with the input
that caused it (saved as crash-<hash> in the working directory). `all` fuzzes every
decoder in one process, the first byte of each input choosing the decoder (one
interpreter start instead of one per decoder). `make fuzz` runs each decoder's own
target for longer; `make test` runs `all` briefly (tests/property/test_fuzz.py).
"""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository, for tests/

from inferline.containers.core.errors import ServingError  # noqa: E402
from tests.property.catalogue import DECODERS  # noqa: E402


def instrument_inferline() -> int:
    """Coverage guidance for inferline's own functions, in place; returns how many.

    Not atheris.instrument_imports (inferline's editable install is found by setuptools'
    own finder, which it does not hook) nor instrument_all (minutes over pandas/numpy).
    """
    count = 0
    for name, module in list(sys.modules.items()):
        if not name.startswith("inferline.") or module is None:
            continue
        for attribute, value in list(vars(module).items()):
            owners = [value] if inspect.isclass(value) else []
            if inspect.isfunction(value) and value.__module__ == name:
                setattr(module, attribute, atheris.instrument_func(value))
                count += 1
            for owner in owners:
                if owner.__module__ != name:
                    continue
                for method_name, method in list(vars(owner).items()):
                    if inspect.isfunction(method):
                        setattr(owner, method_name, atheris.instrument_func(method))
                        count += 1
    return count


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in (*DECODERS, "all", "--list"):
        sys.exit(f"usage: decoders.py NAME [libFuzzer flags]; --list names them ({len(DECODERS)})")
    if sys.argv[1] == "--list":
        print("\n".join(sorted(DECODERS)))
        return
    names = sorted(DECODERS) if sys.argv[1] == "all" else [sys.argv[1]]
    print(f"instrumented {instrument_inferline()} inferline functions", file=sys.stderr)

    def one_input(data: bytes) -> None:
        if not data and len(names) > 1:
            return  # no byte to choose a decoder with (each sees empty bodies via b"\x00")
        name, body = (names[data[0] % len(names)], data[1:]) if len(names) > 1 else (names[0], data)
        try:
            DECODERS[name].decode(body)
        except ServingError as error:
            if not 400 <= error.status < 500:
                raise RuntimeError(f"{name}: a {error.status} for a request body") from error
        except Exception as error:
            raise RuntimeError(f"{name} crashed on this body") from error

    atheris.Setup([sys.argv[0], *sys.argv[2:]], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()

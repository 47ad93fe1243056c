"""The distributions a requirement pulls in, walked through the metadata of what is installed
(the resolution pip made, read back without pip)::

    pulled_in("inferline", ["sparkml"])  # {"inferline": "0.1.0", "numpy": "2.4.6", ...}
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterable

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name


def installed() -> dict[str, importlib.metadata.Distribution]:
    """Every distribution on this interpreter's path, by canonical name."""
    distributions = importlib.metadata.distributions()
    return {canonicalize_name(dist.metadata["Name"]): dist for dist in distributions}


def extras_of(name: str) -> list[str]:
    """The extras an installed distribution declares (its Provides-Extra)."""
    return list(importlib.metadata.distribution(name).metadata.get_all("Provides-Extra") or [])


def pulled_in(name: str, extras: Iterable[str] = ()) -> dict[str, str]:
    """`name` with `extras` and everything its requirements pull in, by canonical name, at
    the installed versions; requirements whose markers do not hold here are left out.

    Raises:
        LookupError: a distribution that is pulled in is not installed.
    """
    dists = installed()
    versions: dict[str, str] = {}
    done: set[tuple[str, frozenset[str]]] = set()
    todo = [(canonicalize_name(name), frozenset(canonicalize_name(e) for e in extras), "")]
    while todo:
        wanted, wanted_extras, required_by = todo.pop()
        if (wanted, wanted_extras) in done:
            continue
        done.add((wanted, wanted_extras))
        dist = dists.get(wanted)
        if dist is None:
            raise LookupError(f"{wanted} (required by {required_by}) is not installed")
        versions[wanted] = dist.version
        # A marker sees one extra at a time; "" stands for none, so `extra == "x"` fails.
        environments = [{"extra": extra} for extra in sorted(wanted_extras)] or [{"extra": ""}]
        for line in dist.requires or []:
            requirement = Requirement(line)
            marker = requirement.marker
            if marker is not None and not any(marker.evaluate(env) for env in environments):
                continue
            todo.append(
                (
                    canonicalize_name(requirement.name),
                    frozenset(canonicalize_name(extra) for extra in requirement.extras),
                    wanted,
                )
            )
    return versions

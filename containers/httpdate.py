"""The HTTP Date header's text, made once a second (as nginx and uvicorn do).

The header shows whole seconds, and gunicorn and cheroot format it per response
(`email.utils.formatdate`, about 4 µs and a dozen Python calls). The container workers
(`containers/fastpath.py`) and the endpoint's front door (`containers/harness/frontdoor.py`)
share this one.
"""

from __future__ import annotations

import time
from email.utils import formatdate


class PerSecondDate:
    """`gunicorn.util.http_date`, the current time's text computed once a second.

    Thread-safe: the cache is one tuple, replaced whole.
    """

    def __init__(self) -> None:
        self._cached: tuple[int, str] = (-1, "")

    def __call__(self, timestamp: float | None = None) -> str:
        if timestamp is not None:  # a given time: gunicorn's own formatting
            return formatdate(timestamp, localtime=False, usegmt=True)
        second = int(time.time())
        cached = self._cached
        if cached[0] != second:
            cached = (second, formatdate(second, localtime=False, usegmt=True))
            self._cached = cached
        return cached[1]

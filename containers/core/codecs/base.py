"""The codec protocol: a MIME type plus a decode and an encode function."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import pandas as pd

from inferline.containers.core.media import MediaType


class Codec(Protocol):
    """Turns request bytes into a table and a table into response bytes.

    `columns` are the names the stage declares for its inputs (for scikit-learn,
    `feature_names_in_`); headerless rows take them in order.
    """

    mimetype: str

    def decode(
        self, body: bytes, media: MediaType, columns: Sequence[str] | None
    ) -> pd.DataFrame: ...

    def encode(self, frame: pd.DataFrame, media: MediaType) -> bytes: ...

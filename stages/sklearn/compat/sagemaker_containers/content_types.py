"""``sagemaker_containers.beta.framework.content_types``: the MIME types the defaults speak."""

from __future__ import annotations

JSON = "application/json"
CSV = "text/csv"
OCTET_STREAM = "application/octet-stream"
ANY = "*/*"
NPY = "application/x-npy"
UTF8_TYPES = [JSON, CSV]
"""Bodies of these types reach input_fn as str; any other as bytes."""

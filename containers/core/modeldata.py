"""ModelDataUrl to a local path: a directory or model.tar.gz, local, file:// or s3://.

Local paths are used in place (`inferline serve` extracts archives itself); s3://
objects are downloaded with boto3 into the harness's work directory. boto3 finds
credentials and endpoints its usual way (AWS_PROFILE, AWS_ENDPOINT_URL_S3, ...).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlparse

from inferline.containers.core.errors import ModelDataError

if TYPE_CHECKING:  # boto3-stubs' S3 client type; only the type checker imports it
    from mypy_boto3_s3 import S3Client


def fetch(url: str, workdir: Path, hostname: str) -> Path:
    """The local directory or archive for `url`, downloading s3:// objects into `workdir`."""
    parsed = urlparse(url)
    if parsed.scheme == "s3":
        return _download(
            parsed.netloc, parsed.path.lstrip("/"), workdir / "model-data" / hostname, url
        )
    if parsed.scheme in ("", "file"):
        path = Path(unquote(parsed.path) if parsed.scheme else url)
        if not path.exists():
            raise ModelDataError(f"ModelDataUrl {url} of {hostname}: {path} does not exist")
        return path
    raise ModelDataError(
        f"ModelDataUrl {url} of {hostname}: use a local path, file:// or s3:// URL"
    )


def _download(bucket: str, key: str, target: Path, url: str) -> Path:
    """One object (model.tar.gz) or every object under a prefix (a directory)."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    s3 = boto3.client("s3")
    try:
        keys = [key] if key.endswith((".tar.gz", ".tgz", ".tar")) else _keys(s3, bucket, key)
        if not keys:
            raise ModelDataError(f"ModelDataUrl {url}: no objects under that prefix")
        target.mkdir(parents=True, exist_ok=True)
        if len(keys) == 1 and keys[0] == key:
            local = target / Path(key).name
            s3.download_file(bucket, key, str(local))
            return local
        for name in keys:
            local = target / Path(name).relative_to(key)
            local.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, name, str(local))
        return target
    except (BotoCoreError, ClientError) as error:
        raise ModelDataError(f"cannot download ModelDataUrl {url}: {error}") from None


def _keys(s3: S3Client, bucket: str, prefix: str) -> list[str]:
    prefix = prefix.rstrip("/") + "/" if prefix else ""
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return [
        item["Key"]
        for page in pages
        for item in page.get("Contents", [])
        if not item["Key"].endswith("/")
    ]

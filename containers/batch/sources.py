"""Where a job's input files come from: a file, a directory, a manifest, or an s3:// prefix.

As in SageMaker, S3Prefix takes every object whose key starts with the prefix and
names each output after its key past the prefix, a leading ``/`` dropped (so sub-paths
are kept, and ``s3://b/abalone/in`` maps ``abalone/in/rows.csv`` to ``rows.csv``); a
prefix that is itself an object's whole key names that output after the key's last
segment. This is what the SageMaker SDK's local mode does (``sagemaker.utils.
download_folder``) and what TransformOutput's "corresponding subfolder" describes;
a ManifestFile is the JSON array ``[{"prefix": URI}, "relative/key", ...]``. Local
paths and ``file://`` URLs stand in for s3:// anywhere. s3:// objects are read with
boto3, which finds credentials and endpoints its usual way (AWS_ENDPOINT_URL_S3, ...);
each is downloaded to the work directory before it is read (one pass, any size).
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote, urlparse

from inferline.containers.core.errors import ConfigurationError


@dataclass(frozen=True)
class InputFile:
    """One input object: its output name (sub-path kept), size and where it lives."""

    name: str
    size: int
    location: str
    """A local path, or an s3://bucket/key URL."""


def is_s3(uri: str) -> bool:
    return uri.startswith("s3://")


def local_path(uri: str) -> Path:
    """A local path or file:// URL as a Path."""
    parsed = urlparse(uri)
    return Path(unquote(parsed.path)) if parsed.scheme == "file" else Path(uri)


def s3_client() -> Any:
    import boto3

    return boto3.client("s3")


def split_s3(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    if not parsed.netloc:
        raise ConfigurationError(f"{uri} names no bucket")
    return parsed.netloc, parsed.path.lstrip("/")


def list_inputs(uri: str, data_type: str) -> list[InputFile]:
    """Every input file of the job, sorted by name.

    Raises:
        ConfigurationError: nothing is there, or a manifest is malformed.
    """
    files = _manifest(uri) if data_type == "ManifestFile" else _prefix(uri)
    if not files:
        raise ConfigurationError(f"no input files under {uri}")
    names = [item.name for item in files]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ConfigurationError(f"input files share output names: {', '.join(duplicates)}")
    return sorted(files, key=lambda item: item.name)


def check_apart(input_uri: str, output_uri: str) -> None:
    """Refuse an output inside the input: a second run would read the outputs as inputs."""
    if is_s3(input_uri) != is_s3(output_uri):
        return
    if is_s3(input_uri):
        inside = output_uri.rstrip("/").startswith(input_uri.rstrip("/"))
    else:
        source, target = local_path(input_uri).resolve(), local_path(output_uri).resolve()
        inside = source.is_dir() and target.is_relative_to(source)
    if inside:
        raise ConfigurationError(
            f"the output {output_uri} is inside the input {input_uri}: a second run would "
            "take the .out files as input; write the output elsewhere"
        )


def _prefix(uri: str) -> list[InputFile]:
    if is_s3(uri):
        bucket, prefix = split_s3(uri)
        return [
            InputFile(_relative(key, prefix), size, f"s3://{bucket}/{key}")
            for key, size in _s3_objects(bucket, prefix)
        ]
    path = local_path(uri)
    if path.is_file():
        return [InputFile(path.name, path.stat().st_size, str(path))]
    if path.is_dir():
        return [
            InputFile(item.relative_to(path).as_posix(), item.stat().st_size, str(item))
            for item in path.rglob("*")
            if item.is_file()
        ]
    raise ConfigurationError(f"input {uri} does not exist")


def _relative(key: str, prefix: str) -> str:
    """The output name of `key` listed under `prefix` (see the module docstring)."""
    return key[len(prefix) :].lstrip("/") or key.rpartition("/")[2]


def _s3_objects(bucket: str, prefix: str) -> list[tuple[str, int]]:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        pages = s3_client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return [
            (item["Key"], int(item["Size"]))
            for page in pages
            for item in page.get("Contents", [])
            if not item["Key"].endswith("/")
        ]
    except (BotoCoreError, ClientError) as error:
        raise ConfigurationError(f"cannot list s3://{bucket}/{prefix}: {error}") from None


def _manifest(uri: str) -> list[InputFile]:
    try:
        with _download_text(uri) as text:
            document = json.loads(text)
    except ValueError as error:
        raise ConfigurationError(f"ManifestFile {uri} is not JSON: {error}") from None
    if (
        not isinstance(document, list)
        or not document
        or not isinstance(document[0], dict)
        or not isinstance(document[0].get("prefix"), str)
        or not all(isinstance(item, str) for item in document[1:])
    ):
        raise ConfigurationError(
            f'ManifestFile {uri} must be [{{"prefix": "s3://bucket/prefix/"}}, "key", ...]'
        )
    prefix: str = document[0]["prefix"]
    files = []
    for relative in document[1:]:
        location = prefix + relative
        if is_s3(location):
            bucket, key = split_s3(location)
            size = _s3_size(bucket, key, uri)
        else:
            path = local_path(location)
            if not path.is_file():
                raise ConfigurationError(
                    f"ManifestFile {uri} lists {location}, which does not exist"
                )
            location, size = str(path), path.stat().st_size
        files.append(InputFile(relative, size, location))
    return files


def _s3_size(bucket: str, key: str, manifest: str) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return int(s3_client().head_object(Bucket=bucket, Key=key)["ContentLength"])
    except (BotoCoreError, ClientError) as error:
        raise ConfigurationError(
            f"ManifestFile {manifest} lists s3://{bucket}/{key}: {error}"
        ) from None


@contextmanager
def _download_text(uri: str) -> Iterator[str]:
    if is_s3(uri):
        from botocore.exceptions import BotoCoreError, ClientError

        bucket, key = split_s3(uri)
        try:
            body = s3_client().get_object(Bucket=bucket, Key=key)["Body"].read()
        except (BotoCoreError, ClientError) as error:
            raise ConfigurationError(f"cannot read ManifestFile {uri}: {error}") from None
        yield body.decode("utf-8")
    else:
        path = local_path(uri)
        if not path.is_file():
            raise ConfigurationError(f"ManifestFile {uri} does not exist")
        yield path.read_text()


@contextmanager
def open_input(item: InputFile, compression: str, workdir: Path) -> Iterator[IO[bytes]]:
    """The file's bytes as a binary stream, decompressed when CompressionType is Gzip."""
    if is_s3(item.location):
        bucket, key = split_s3(item.location)
        local = workdir / "input" / item.name
        local.parent.mkdir(parents=True, exist_ok=True)
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            s3_client().download_file(bucket, key, str(local))
        except (BotoCoreError, ClientError) as error:
            raise OSError(f"cannot download {item.location}: {error}") from None
        try:
            with _opened(local, compression) as stream:
                yield stream
        finally:
            local.unlink(missing_ok=True)
        return
    with _opened(Path(item.location), compression) as stream:
        yield stream


@contextmanager
def _opened(path: Path, compression: str) -> Iterator[IO[bytes]]:
    with path.open("rb") as raw:
        if compression == "Gzip":
            with gzip.GzipFile(fileobj=raw) as unzipped:
                yield unzipped  # type: ignore[misc]  # GzipFile is an IO[bytes]
        else:
            yield raw

"""The page at ``GET /``, loaded by a real headless Chromium: its DOM and a screenshot.

Chromium is Debian's (``apt-get install chromium``; .ci/run installs it). The test
skips when it is missing, unless CI is set, where it fails instead.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from inferline.containers.controlplane import ControlPlane
from tests.controlplane.conftest import FAST, create_plus_model, invoke, variant, wait_in_service

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER_SECONDS = 90
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def chromium(url: str, profile: Path, *action: str) -> str:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (apt-get install -y chromium)")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    done = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *action, url],
        capture_output=True,
        text=True,
        timeout=BROWSER_SECONDS,
        check=True,
    )
    return done.stdout


class Elements(HTMLParser):
    """Every element's tag, attributes and text (its own and its descendants')."""

    VOID = {"meta", "br", "link", "img", "input", "hr"}

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str], list[str]]] = []
        self._open: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        text: list[str] = []
        self.elements.append((tag, {k: v or "" for k, v in attrs}, text))
        if tag not in self.VOID:
            self._open.append(text)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for text in self._open:
            text.append(data)

    def find(self, attribute: str, value: str | None = None) -> list[tuple[dict[str, str], str]]:
        return [
            (attrs, " ".join("".join(text).split()))
            for _, attrs, text in self.elements
            if attribute in attrs and (value is None or attrs[attribute] == value)
        ]


def png_size_and_colours(path: Path) -> tuple[int, int, int]:
    """Width, height and the number of distinct byte values of the pixels."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    position, pixels = 8, b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        if kind == b"IDAT":
            pixels += data[position + 8 : position + 8 + length]
        position += 12 + length
    return width, height, len(set(zlib.decompress(pixels)))


def test_the_page_shows_models_endpoints_and_health_in_a_browser(
    sm: Any, runtime: Any, plane: ControlPlane, plus: dict[int, Path], tmp_path: Path
) -> None:
    create_plus_model(sm, plus, "page-model", 1)
    sm.create_endpoint_config(
        EndpointConfigName="page-config", ProductionVariants=[variant("page-model", count=2)]
    )
    sm.create_endpoint(EndpointName="page-endpoint", EndpointConfigName="page-config")
    wait_in_service(sm, "page-endpoint")
    for _ in range(5):
        invoke(runtime, "page-endpoint")

    dom = Elements()
    dom.feed(chromium(plane.url + "/", tmp_path / "profile-dom", "--dump-dom"))
    assert any(
        tag == "meta" and attrs.get("http-equiv") == "refresh" for tag, attrs, _ in dom.elements
    )
    ((_, model_row),) = dom.find("data-model", "page-model")
    assert "inferline-sklearn" in model_row
    ((_, endpoint_row),) = dom.find("data-endpoint", "page-endpoint")
    assert "InService" in endpoint_row and "page-config" in endpoint_row
    ((_, instances),) = dom.find("class", "instances")
    assert instances == "2"
    containers = dom.find("data-container", "primary")
    assert [text.split(":")[0] for _, text in containers] == ["copy 1", "copy 2"]
    assert all(" up " in f" {text} " for _, text in containers)
    ((_, latency),) = [(a, t) for a, t in dom.find("data-variant", "AllTraffic")]
    assert "p50" in latency and "p99" in latency and "(5 recent)" in latency

    screenshot = tmp_path / "page.png"
    chromium(
        plane.url + "/",
        tmp_path / "profile-shot",
        f"--screenshot={screenshot}",
        "--window-size=1200,800",
    )
    width, height, colours = png_size_and_colours(screenshot)
    assert (width, height) == (1200, 800)
    assert colours > 10  # text and coloured status, not a blank page

    sm.delete_endpoint(EndpointName="page-endpoint")
    sm.get_waiter("endpoint_deleted").wait(EndpointName="page-endpoint", WaiterConfig=FAST)

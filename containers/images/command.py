"""`inferline build`: the wheelhouses and images of Dockerfiles/, tagged inferline-<name>."""

from __future__ import annotations

import argparse
from pathlib import Path

from inferline.containers.images import ALL, IMAGES

MEGABYTE = 1_000_000  # docker reports sizes in decimal megabytes


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    build = subparsers.add_parser(
        "build",
        help="build the serving images (inferline-sklearn, inferline-sparkml, inferline-xgboost)",
        description="Gather each image's wheels on this host, then docker build "
        "Dockerfiles/<image>.Dockerfile on them (with --network host).",
    )
    build.add_argument("image", nargs="?", default=ALL, choices=[*IMAGES, ALL])
    base = build.add_mutually_exclusive_group()
    base.add_argument(
        "--base-image", help="base image to build on (default: python:3.11-slim, from a registry)"
    )
    base.add_argument(
        "--local-base",
        action="store_true",
        help="build on a Debian bookworm base made here with debootstrap (created once, then "
        "reused); for engines that cannot pull. Needs root.",
    )
    build.add_argument(
        "--project-dir", type=Path, help="the inferline checkout (default: the one around the cwd)"
    )
    build.set_defaults(run=run_build)


def run_build(args: argparse.Namespace) -> int:
    from inferline.containers.images import engine, localbase, select
    from inferline.containers.images.build import build, project_root

    project_dir = project_root((args.project_dir or Path.cwd()).resolve())
    engine.require()
    base_image = localbase.ensure() if args.local_base else args.base_image
    for image in select([args.image]):
        size = build(image, project_dir, base_image=base_image)
        print(f"{image.tag}  {size / MEGABYTE:.0f} MB")
    return 0

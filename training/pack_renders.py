"""A generated data folder as one small archive, to train on a machine that cannot render (a lent GPU).

    python -m training.pack_renders pack data/sim_v1 gpu/sim_v1.tar.xz      # here, after data generate
    python -m training.pack_renders unpack gpu/sim_v1.tar.xz data/sim_v1    # there, before training

The GPU machines have no MuJoCo and take at most 64 MiB of carried files; 4,400 renders are ~240 MB
of PNG. Every render shows the same table, robot and light from the same camera, so each image is
stored as its difference from the per-pixel median of the renders, modulo 256, and lzma compresses
those differences (mostly zeros) to a few percent. Unpacking adds the median back: the pixels are
exactly the ones rendered (PNG bytes may differ; the pixels do not). Every other file of the folder
(the LLaVA JSON, the ``*.scene.json`` ground truth) travels as it is.
"""
from __future__ import annotations

import argparse
import io
import json
import lzma
import sys
import tarfile
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from llava_ros.commandline import standalone_main

MANIFEST = "manifest.json"
BACKGROUND = "background.npy"
DIFFERENCES = "differences.npy"
MEDIAN_SAMPLE = 64  # renders the median background is taken over
FORMAT = 1


def _rgb(path: Path, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """``path``'s pixels; with ``shape``, an error unless they have that shape."""
    with Image.open(path) as image:
        rgb = np.asarray(image.convert("RGB"))
    if shape is not None and rgb.shape != shape:
        raise ValueError(f"{path.name} is {rgb.shape[1]}x{rgb.shape[0]}, the others {shape[1]}x{shape[0]}: "
                         "pack renders of one size")
    return rgb


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def pack(folder: Path, out: Path, progress: bool = True) -> dict:
    """Write ``folder`` (a ``data generate`` output) to ``out`` (tar.xz); returns the manifest."""
    images = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.png"))
    if not images:
        raise FileNotFoundError(f"{folder} holds no PNG renders; run `llava-ros data generate` first")
    first = _rgb(folder / images[0])
    sample = images[:: max(1, len(images) // MEDIAN_SAMPLE)][:MEDIAN_SAMPLE]
    background = np.median(np.stack([_rgb(folder / name, first.shape) for name in sample]), axis=0).astype(np.uint8)
    differences = np.empty((len(images), *first.shape), dtype=np.uint8)
    for i, name in enumerate(tqdm(images, desc="pack", disable=not progress)):
        differences[i] = _rgb(folder / name, first.shape) - background  # uint8 arithmetic: modulo 256
    others = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() and p.suffix != ".png")
    manifest = {"format": FORMAT, "images": images, "shape": list(first.shape), "files": others}
    out.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(out, "w:xz") as archive:
        _add_bytes(archive, MANIFEST, json.dumps(manifest).encode())
        _add_bytes(archive, BACKGROUND, _npy_bytes(background))
        _add_bytes(archive, DIFFERENCES, _npy_bytes(differences))
        for name in others:
            archive.add(folder / name, arcname=f"files/{name}")
    return manifest


def _member(archive: tarfile.TarFile, name: str) -> bytes:
    try:
        handle = archive.extractfile(name)
    except KeyError:
        raise ValueError(f"{archive.name} is not a pack_renders archive: {name} is missing") from None
    return handle.read()


def unpack(archive_path: Path, folder: Path, progress: bool = True) -> dict:
    """Restore the folder ``pack`` wrote; returns the manifest."""
    if not archive_path.is_file():
        raise FileNotFoundError(f"no archive at {archive_path}")
    try:
        return _unpack(archive_path, folder, progress)
    except (EOFError, lzma.LZMAError, tarfile.TarError) as err:
        raise ValueError(f"{archive_path} is truncated or corrupt ({err}); copy it again") from None


def _unpack(archive_path: Path, folder: Path, progress: bool) -> dict:
    with tarfile.open(archive_path, "r:xz") as archive:
        manifest = json.loads(_member(archive, MANIFEST))
        if manifest.get("format") != FORMAT:
            raise ValueError(f"{archive_path} has format {manifest.get('format')!r}; this reader knows {FORMAT}")
        background = np.load(io.BytesIO(_member(archive, BACKGROUND)), allow_pickle=False)
        differences = np.load(io.BytesIO(_member(archive, DIFFERENCES)), allow_pickle=False)
        if len(differences) != len(manifest["images"]):
            raise ValueError(f"{archive_path} holds {len(differences)} images, its manifest names {len(manifest['images'])}")
        for name, difference in zip(tqdm(manifest["images"], desc="unpack", disable=not progress), differences):
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(difference + background).save(path)
        for name in manifest["files"]:
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(_member(archive, f"files/{name}"))
    return manifest


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--quiet", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)
    packer = sub.add_parser("pack", help="data folder → archive")
    packer.add_argument("folder", type=Path)
    packer.add_argument("archive", type=Path)
    unpacker = sub.add_parser("unpack", help="archive → data folder")
    unpacker.add_argument("archive", type=Path)
    unpacker.add_argument("folder", type=Path)


def run(args: argparse.Namespace) -> int:
    if args.command == "pack":
        manifest = pack(args.folder, args.archive, not args.quiet)
        size = args.archive.stat().st_size / 2**20
        print(f"packed {len(manifest['images'])} renders and {len(manifest['files'])} files into {args.archive} ({size:.1f} MiB)")
    else:
        manifest = unpack(args.archive, args.folder, not args.quiet)
        print(f"unpacked {len(manifest['images'])} renders and {len(manifest['files'])} files into {args.folder}")
    return 0


def main(argv: list[str] | None = None) -> int:
    return standalone_main("python -m training.pack_renders", __doc__.splitlines()[0], add_arguments, run, argv)


if __name__ == "__main__":
    sys.exit(main())

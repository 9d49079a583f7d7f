"""Packing a generated data folder for a machine that cannot render, and getting the same pixels back."""
import numpy as np
from PIL import Image

from training.data.generate import generate
from training.pack_renders import main, pack, unpack


def _pixels(path):
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def test_unpack_restores_every_pixel_and_file(tmp_path):
    data = tmp_path / "data"
    generate((3, 4, 5), data, width=64, height=64, progress=False)
    archive = tmp_path / "sim.tar.xz"
    manifest = pack(data, archive, progress=False)
    assert len(manifest["images"]) == 3 and "stage2_instruct.json" in manifest["files"]
    restored = tmp_path / "restored"
    unpack(archive, restored, progress=False)
    for name in manifest["images"]:
        assert np.array_equal(_pixels(restored / name), _pixels(data / name))
    originals = sorted(p.relative_to(data) for p in data.rglob("*") if p.is_file())
    assert sorted(p.relative_to(restored) for p in restored.rglob("*") if p.is_file()) == originals
    for name in manifest["files"]:
        assert (restored / name).read_bytes() == (data / name).read_bytes()


def test_pack_refuses_renders_of_different_sizes(tmp_path, capsys):
    (tmp_path / "images").mkdir()
    Image.new("RGB", (8, 8)).save(tmp_path / "images" / "a.png")
    Image.new("RGB", (8, 6)).save(tmp_path / "images" / "b.png")
    assert main(["--quiet", "pack", str(tmp_path), str(tmp_path / "x.tar.xz")]) == 2
    assert "pack renders of one size" in capsys.readouterr().err


def test_errors_name_the_problem(tmp_path, capsys):
    assert main(["--quiet", "pack", str(tmp_path), str(tmp_path / "x.tar.xz")]) == 2
    assert "holds no PNG renders" in capsys.readouterr().err
    assert main(["--quiet", "unpack", str(tmp_path / "none.tar.xz"), str(tmp_path / "out")]) == 2
    assert "no archive at" in capsys.readouterr().err
    (tmp_path / "images").mkdir()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(tmp_path / "images" / "a.png")
    archive = tmp_path / "ok.tar.xz"
    assert main(["--quiet", "pack", str(tmp_path), str(archive)]) == 0
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])  # cut off in transfer
    assert main(["--quiet", "unpack", str(archive), str(tmp_path / "out")]) == 2
    assert "is truncated or corrupt" in capsys.readouterr().err

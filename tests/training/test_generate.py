"""generate(): real renders of three training seeds into valid LLaVA files; held-out seeds refused."""
import json

import pytest

from llava_ros.boxes import parse_boxes
from training.data.generate import generate, main
from training.data.llava_format import read_llava_json

SEEDS = [3, 4, 5]
SIZE = 128  # small renders keep the test fast; boxes are normalised anyway


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("data")
    return out, generate(SEEDS, out, width=SIZE, height=SIZE, progress=False)


def test_writes_valid_files_for_both_stages(generated):
    out, paths = generated
    assert paths == {"stage1": out / "stage1_captions.json", "stage2": out / "stage2_instruct.json",
                     "images": out / "images"}
    stage1, stage2 = read_llava_json(paths["stage1"]), read_llava_json(paths["stage2"])
    assert [r["id"] for r in stage1] == [f"sim{s:06d}_brief" for s in SEEDS]
    assert sorted(r["id"] for r in stage2) == sorted(f"sim{s:06d}_{k}" for s in SEEDS
                                                     for k in ("conversation", "detail", "reasoning"))
    for record in stage1 + stage2:
        image = paths["images"] / record["image"]
        assert image.is_file() and image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        truth = json.loads(image.with_suffix(".scene.json").read_text())
        assert truth["camera"]["width"] == SIZE and truth["seed"] == int(record["id"][3:9])
        assert record["conversations"][0]["value"].startswith("<image>\n")
        for turn in record["conversations"][1::2]:
            assert len(parse_boxes(turn["value"], strict=True)) == turn["value"].count("[")


def test_deterministic_and_cli(generated, tmp_path):
    out, paths = generated
    assert main(["--seeds", "4", "--out", str(tmp_path), "--width", str(SIZE), "--height", str(SIZE),
                 "--kinds", "conversation,reasoning", "--quiet"]) == 0
    assert not (tmp_path / "stage1_captions.json").exists()
    again = read_llava_json(tmp_path / "stage2_instruct.json")
    before = {r["id"]: r for r in read_llava_json(paths["stage2"])}
    assert again == [before["sim000004_conversation"], before["sim000004_reasoning"]]
    assert (tmp_path / "images" / "000004.png").read_bytes() == (out / "images" / "000004.png").read_bytes()


def test_refuses_heldout_seeds_before_rendering(tmp_path):
    with pytest.raises(ValueError, match="seed 1000000005 may not be used for training"):
        generate([3, 1_000_000_005], tmp_path / "out")
    assert not (tmp_path / "out").exists()
    assert main(["--seeds", "1000000005", "--out", str(tmp_path / "cli")]) == 2
    with pytest.raises(ValueError, match="unknown response kind 'captions'"):
        generate([3], tmp_path / "out", kinds=["captions"])
    assert main(["--seeds", "3", "--out", str(tmp_path / "cli"), "--teacher", "openai", "--answers", "scan"]) == 2
    assert not (tmp_path / "cli").exists()


def test_reuse_renders_and_variants(tmp_path, capsys):
    from training.data.generate import generate
    from training.data.llava_format import read_llava_json

    first = generate([21], tmp_path, kinds=["conversation"], width=96, height=96, progress=False,
                     reuse_renders=True)
    assert f"no earlier 96x96 render of 1 of 1 scenes in {first['images']}" in capsys.readouterr().err
    png = first["images"] / "000021.png"
    stamp = png.stat().st_mtime_ns
    again = generate([21], tmp_path, kinds=["conversation"], width=96, height=96, progress=False,
                     variants=3, reuse_renders=True)
    assert png.stat().st_mtime_ns == stamp, "the render was redone"
    assert "no earlier" not in capsys.readouterr().err
    records = read_llava_json(again["stage2"])
    assert [r["id"] for r in records] == ["sim000021_conversation", "sim000021_conversation_1", "sim000021_conversation_2"]
    assert len({str(r["conversations"]) for r in records}) == 3

"""`llava-ros sim ...` as a user runs it (in-process through the real argument parser)."""
import json

import numpy as np

from llava_ros.cli import main


def test_sim_render_writes_image_depth_and_ground_truth(tmp_path, capsys):
    out = tmp_path / "scene"
    assert main(["sim", "render", "--seed", "3", "--out", str(out), "--width", "200", "--height", "150"]) == 0
    truth = json.loads((out / "scene.json").read_text())
    depth = np.load(out / "depth.npy")
    assert truth["seed"] == 3 and truth["camera"]["width"] == 200 and truth["camera"]["height"] == 150
    assert depth.shape == (150, 200) and depth.dtype == np.float32
    assert (out / "rgb.png").stat().st_size > 1000
    printed = capsys.readouterr().out
    assert all(o["label"] in printed for o in truth["objects"])


def test_bad_image_size_is_a_clear_error(tmp_path, capsys):
    assert main(["sim", "render", "--seed", "3", "--out", str(tmp_path), "--width", "5"]) == 2
    assert "image size 5x336 outside [16, 4096]" in capsys.readouterr().err


def test_sim_pick_prints_json_result_last_and_saves_a_strip(tmp_path, capsys):
    strip = tmp_path / "strip.png"
    assert main(["sim", "pick", "--seed", "3", "--label", "red cone", "--strip", str(strip)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    result = json.loads(last)
    assert result["success"] is True and result["label"] == "red cone" and result["lift_m"] >= 0.08
    assert strip.stat().st_size > 1000


def test_sim_pick_unknown_label_names_the_objects(capsys):
    assert main(["sim", "pick", "--seed", "3", "--label", "pink cube"]) == 2
    assert "no 'pink cube' in scene 3; objects: ['red cone'" in capsys.readouterr().err

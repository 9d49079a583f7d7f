"""``llava-ros demo``: the whole loop with the tiny model, and the message when no model is installed."""
import json
import os
import subprocess
import sys

import cv2

from llava_ros.cli import main
from tests.tiny import save_tiny_checkpoint

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_demo_runs_the_loop_and_saves_the_annotated_image(tmp_path):
    model = save_tiny_checkpoint(tmp_path / "tiny")
    out = tmp_path / "demo"
    cmd = [sys.executable, "-m", "llava_ros.cli", "demo", "--model", str(model), "--out", str(out), "--seed", "3",
           "--max-new-tokens", "4", "--set", "sim.width=96", "--set", "sim.height=64"]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=240)
    lines = proc.stdout.strip().splitlines()
    assert proc.returncode == 0, proc.stdout + proc.stderr  # the loop ran; the tiny model grounds nothing
    assert [line for line in lines if line.startswith("Q: ")] == [
        "Q: Describe the image concisely.", "Q: How many objects are there in the image?",
        "Q: Please provide the bounding box coordinate of the region this sentence describes: the red cone"]
    # ^ the planner's referring question about seed 3's first object, as the description named none
    assert sum(line.startswith("A: ") for line in lines) == 3
    result = json.loads(lines[-1])
    assert result["success"] is False and "no object grounded" in result["message"]
    image = cv2.imread(str(out / "annotated.png"))
    assert image is not None and image.shape == (64, 96, 3)


def test_demo_without_a_model_names_the_model_option(tmp_path, capsys):
    assert main(["demo", "--model", str(tmp_path / "missing"), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "no model at" in err and "--model DIR" in err

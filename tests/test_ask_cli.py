"""`llava-ros ask` as a user runs it, on a tiny checkpoint and a rendered scene."""
import json

import cv2
import numpy as np

from llava_ros.cli import main
from tests.tiny import save_tiny_checkpoint


def test_ask_json_prints_answer_objects_and_latency(tmp_path, capsys):
    model = save_tiny_checkpoint(tmp_path / "model")
    image = tmp_path / "rgb.png"
    cv2.imwrite(str(image), np.full((40, 50, 3), 128, np.uint8))
    assert main(["ask", "--image", str(image), "--prompt", "Where is the red cube?", "--model", str(model),
                 "--max-new-tokens", "6", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(result) == {"answer", "objects", "latency_ms"}
    assert isinstance(result["answer"], str) and result["latency_ms"] > 0


def test_ask_names_a_missing_model_and_an_unreadable_image(tmp_path, capsys):
    bad = tmp_path / "not_an_image.png"
    bad.write_text("hello")
    assert main(["ask", "--image", str(bad), "--prompt", "hi", "--model", str(tmp_path)]) == 2
    assert "is not a readable image" in capsys.readouterr().err
    cv2.imwrite(str(tmp_path / "ok.png"), np.zeros((20, 20, 3), np.uint8))
    assert main(["ask", "--image", str(tmp_path / "ok.png"), "--prompt", "hi", "--model", str(tmp_path / "none")]) == 2
    assert "no model at" in capsys.readouterr().err


def test_data_generate_is_forwarded_and_refuses_heldout_seeds(tmp_path, capsys):
    assert main(["data", "generate", "--seeds", "1000000005", "--out", str(tmp_path / "d")]) == 2
    assert "reserved for held-out evaluation" in capsys.readouterr().err
    assert not (tmp_path / "d").exists()

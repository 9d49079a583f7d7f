"""The shipped default model loads and answers as a new user would try it (`llava-ros ask` with no --model)."""
import json

from llava_ros.ask import DEFAULT_MODEL
from llava_ros.cli import main


def test_shipped_model_is_small_and_answers_about_a_rendered_scene(tmp_path, capsys):
    size_mb = sum(f.stat().st_size for f in DEFAULT_MODEL.iterdir()) / 2**20
    assert size_mb < 50, f"shipped model is {size_mb:.1f} MB"
    assert "## Evaluation (held-out seeds)" in (DEFAULT_MODEL / "README.md").read_text()
    assert main(["sim", "render", "--seed", "1000000003", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["ask", "--image", str(tmp_path / "rgb.png"), "--prompt", "What objects are on the table?",
                 "--max-new-tokens", "24", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["answer"].strip() and result["latency_ms"] > 0

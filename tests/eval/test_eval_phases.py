"""The shared predict / score phases on the CLI (tiny checkpoint, held-out sim seed), grasp rows and compare."""
import argparse
import json

import pytest

from llava_ros.cli import main
from llava_ros.eval.compare import compare_runs, write_comparison
from llava_ros.eval.phases import predict_phase, score_phase
from llava_ros.eval.report import write_report
from tests.tiny import save_tiny_checkpoint


def _lines(path):
    return path.read_text().splitlines()


def test_pope_predict_then_score_resumes(tmp_path):
    model = save_tiny_checkpoint(tmp_path / "model")
    run = tmp_path / "run"
    predict = ["eval", "predict", "--bench", "pope", "--seeds", "1000000005:1000000006", "--model", str(model),
               "--out", str(run), "--max-new-tokens", "3", "--quiet"]
    assert main(predict) == 0
    rows = [json.loads(line) for line in _lines(run / "predictions.jsonl")]
    assert rows and {"id", "prompt", "answer", "engine", "model", "latency_s"} <= set(rows[0])
    assert len(rows) == len(_lines(run / "items.jsonl")) and json.loads((run / "run.json").read_text())["bench"] == "pope"
    (run / "predictions.jsonl").write_text("\n".join(_lines(run / "predictions.jsonl")[:-2]) + "\n")
    assert main(predict) == 0  # answers only the two missing items
    again = [json.loads(line) for line in _lines(run / "predictions.jsonl")]
    assert [r["id"] for r in again] == [r["id"] for r in rows]
    assert main(["eval", "score", "--run", str(run), "--quiet"]) == 0
    summary = json.loads((run / "scores.json").read_text())
    assert {"random_f1", "popular_f1", "adversarial_f1", "average_f1"} <= set(summary["metrics"])
    assert "| adversarial_yes_ratio |" in (run / "scores.md").read_text() and (run / "scores.png").stat().st_size > 0
    with pytest.raises(ValueError, match="holds a run of pope"):  # other seeds need another folder
        predict_phase("pope", argparse.Namespace(bench="pope", seeds="1000000006:1000000007"), run, str(model),
                      "torch", progress=False)


def test_grasp_has_no_offline_predict_but_its_rows_score(tmp_path):
    with pytest.raises(ValueError, match="llava-ros eval grasp"):
        predict_phase("grasp", argparse.Namespace(), tmp_path / "g", "m", "torch", progress=False)
    run = tmp_path / "grasp"
    run.mkdir()
    episodes = [{"id": "1_attribute", "seed": 1, "kind": "attribute", "instruction": "pick up the red cube",
                 "intended": "red cube", "intended_position_world": [0.5, 0.0, 0.02]},
                {"id": "2_relation", "seed": 2, "kind": "relation", "instruction": "pick up the object left of the blue cone",
                 "intended": "green sphere", "intended_position_world": [0.4, 0.1, 0.02]}]
    rows = [{**episodes[0], "pick_success": True, "picked_label": "red cube", "error_m": 0.01,
             "target": {"label": "red cube", "position_world": [0.5, 0.0, 0.03]}, "latency_s": {"ask": 1.0}},
            {**episodes[1], "pick_success": False, "target": None, "latency_s": {"ask": 1.2}}]
    (run / "episodes.jsonl").write_text("".join(json.dumps(e) + "\n" for e in episodes))
    (run / "predictions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    paths = score_phase(run, "grasp")
    table = paths["markdown"].read_text()
    assert "| success_rate | 0.500 |" in table and "Failures by stage" in table


def test_compare_table_and_chart(tmp_path):
    for name, f1, extra in (("a", 0.5, {}), ("b", 0.75, {"only_b": 1.0})):
        (tmp_path / name).mkdir()
        write_report(tmp_path / name, name, {"metrics": {"average_f1": f1, "random_accuracy": 0.6, **extra}, "counts": {}})
    table = compare_runs([tmp_path / "a", tmp_path / "b"])
    assert table["deltas"]["average_f1"] == [0.0, 0.25] and table["metrics"]["only_b"] == [None, 1.0]
    assert main(["eval", "compare", str(tmp_path / "a"), str(tmp_path / "b"), "--out", str(tmp_path / "cmp")]) == 0
    md = (tmp_path / "cmp" / "compare.md").read_text()
    assert "| metric | a | b |" in md and "| average_f1 | 0.500 | 0.750 (+0.250) |" in md and "| only_b | — | 1.000 |" in md
    assert (tmp_path / "cmp" / "compare.png").stat().st_size > 0
    with pytest.raises(ValueError, match="at least two runs"):
        write_comparison([tmp_path / "a"], tmp_path / "cmp")

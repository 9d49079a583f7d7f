"""The ablation command's data subsets and its table (the training runs themselves are the recipe's, tested elsewhere)."""
import argparse
import json

from training.ablations import VARIANTS_BY_NAME, main, scene_index, table, write_subset


def records(scenes: int):
    return [{"id": f"sim{i:06d}_{kind}", "image": f"{i:06d}.png",
             "conversations": [{"from": "human", "value": "<image>\nq"}, {"from": "gpt", "value": "a"}]}
            for i in range(scenes) for kind in ("conversation", "detail", "reasoning")]


def test_subsets_keep_the_asked_scenes_and_kinds(tmp_path):
    source = tmp_path / "stage2.json"
    source.write_text(json.dumps(records(5)))
    assert scene_index("sim000123_detail") == 123
    n = write_subset(source, tmp_path / "conv.json", scenes=3, kinds=VARIANTS_BY_NAME["conv_detail"].kinds)
    kept = json.loads((tmp_path / "conv.json").read_text())
    assert n == 6 and {r["id"].rsplit("_", 1)[1] for r in kept} == {"conversation", "detail"}
    assert max(scene_index(r["id"]) for r in kept) == 2
    assert write_subset(source, tmp_path / "all.json", scenes=10, kinds=None) == 15


def test_table_compares_each_variant_with_full_and_the_paper():
    metric = lambda v: {k: v for k in ("attribute_accuracy", "counting_accuracy", "relation_accuracy",  # noqa: E731
                                       "box_acc_at_0.5", "box_mean_iou", "pope_f1")}
    args = argparse.Namespace(scenes=10, data="d", stage1_steps=5, epochs=1, base="b", eval_seeds="1000000000:1000000002")
    text = table({"full": metric(0.5), "conv": metric(0.3), "last_layer": metric(0.6)}, args)
    rows = {line.split(" | ")[0].strip("| "): line for line in text.splitlines() if line.startswith("| ")}
    assert "-0.200" in rows["conv"] and rows["conv"].endswith("| yes |")
    assert "+0.100" in rows["last_layer"] and rows["last_layer"].endswith("| no |")
    assert "Table 4" in rows["conv"] and "reference" in rows["full"]


def test_missing_base_parts_are_a_clear_error(tmp_path, capsys):
    assert main(["--base", str(tmp_path), "--data", str(tmp_path)]) == 2
    assert "tokenizer is missing" in capsys.readouterr().err

"""LLaVA-Bench: the sim data writer, both context formats, and scoring against a real local HTTP judge."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from PIL import Image

from llava_ros.cli import main
from llava_ros.eval.benchmarks import get_benchmark
from llava_ros.eval.benchmarks.llava_bench import relative_scores
from llava_ros.eval.benchmarks.llava_bench_sim import write_sim_llava_bench
from llava_ros.eval.judge import RULES, SYSTEM_PROMPT, JudgeError, parse_score
from llava_ros.eval.phases import ScoreOptions

REVIEW = ("{scores}\nAssistant 1 names every object with its box and states the relation correctly. "
          "Assistant 2 answers the question but misses the box of the {{label}}, so it is less detailed.")


class Judge:
    """An OpenAI-compatible chat-completions server on 127.0.0.1 that replays scripted first lines."""

    def __init__(self, first_lines):
        self.first_lines, self.requests = list(first_lines), []
        judge = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, body):
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._send({"object": "list", "data": [{"id": "judge-test", "object": "model"}]})

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                judge.requests.append(body)
                line = judge.first_lines.pop(0) if len(judge.first_lines) > 1 else judge.first_lines[0]
                self._send({"id": "chatcmpl-1", "object": "chat.completion", "model": body["model"],
                            "choices": [{"index": 0, "finish_reason": "stop",
                                         "message": {"role": "assistant", "content": REVIEW.format(scores=line)}}]})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def judge_factory():
    judges = []

    def make(*lines):
        judges.append(Judge(lines))
        return judges[-1]
    yield make
    for j in judges:
        j.close()


@pytest.fixture(scope="module")
def sim_bench(tmp_path_factory):
    folder = tmp_path_factory.mktemp("llava-bench-sim")
    write_sim_llava_bench(range(1_000_000_003, 1_000_000_004), folder, progress=False)
    return folder


def _rows(items, answer=None):
    return [{**i, "answer": answer or i["reference"]} for i in items]


def test_sim_writer_uses_the_llava_bench_format(sim_bench):
    questions = [json.loads(line) for line in (sim_bench / "questions.jsonl").read_text().splitlines()]
    answers = [json.loads(line) for line in (sim_bench / "answers_gpt4.jsonl").read_text().splitlines()]
    contexts = [json.loads(line) for line in (sim_bench / "context.jsonl").read_text().splitlines()]
    assert {q["category"] for q in questions} <= {"conv", "detail", "complex"} and "detail" in {q["category"] for q in questions}
    assert all(set(q) == {"question_id", "image", "text", "category"} for q in questions)
    assert [a["question_id"] for a in answers] == [q["question_id"] for q in questions]
    assert all((sim_bench / "images" / q["image"]).is_file() for q in questions)
    context = contexts[0]
    assert context["captions"] and all(0 <= v <= 1 for inst in context["instances"] for v in inst["bbox"])


def test_wild_format_items(tmp_path):
    (tmp_path / "images").mkdir()
    Image.fromarray(np.zeros((16, 16, 3), np.uint8)).save(tmp_path / "images" / "001.jpg")
    (tmp_path / "questions.jsonl").write_text(json.dumps({"image": "001.jpg", "text": "What is unusual?", "category": "complex", "question_id": 0}) + "\n")
    (tmp_path / "answers_gpt4.jsonl").write_text(json.dumps({"question_id": 0, "text": "A man irons on a taxi.", "answer_id": "g0"}) + "\n")
    (tmp_path / "context.jsonl").write_text(json.dumps({"id": "x", "image": "001.jpg", "caption": "A man ironing on a taxi."}) + "\n")
    [item] = get_benchmark("llava-bench")(tmp_path).items()
    assert (item["rule"], item["format"], item["context"]) == ("llava_bench_complex", "wild", "A man ironing on a taxi.")
    assert item["reference_id"] == "g0"


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="questions.jsonl"):
        get_benchmark("llava-bench")(tmp_path)


@pytest.mark.parametrize("review, scores", [("8 9\nbecause", [8.0, 9.0]), ("8,9\n", [8.0, 9.0]), ("7.5 6", [7.5, 6.0]),
                                            ("8, 9\n", None), ("Scores: 8 9", None), ("", None), ("eight nine", None)])
def test_judge_first_line_parsing(review, scores):
    assert parse_score(review) == scores  # as LLaVA's parse_score (None where it gives [-1, -1])


def test_relative_score_arithmetic():
    reviews = [{"category": "conv", "tuple": [8, 6]}, {"category": "conv", "tuple": [10, 8]},
               {"category": "detail", "tuple": [5, 5]}, {"category": "complex", "tuple": [4, 6]}]
    scores = relative_scores(reviews)
    assert scores["relative_score_conv"] == pytest.approx(100 * 7 / 9)
    assert scores["relative_score_detail"] == pytest.approx(100.0)
    assert scores["relative_score_complex"] == pytest.approx(150.0)
    assert scores["relative_score_all"] == pytest.approx(100 * 6.25 / 6.75)


def test_judge_requests_repeats_and_stored_reviews(sim_bench, tmp_path, judge_factory):
    items = get_benchmark("llava-bench")(sim_bench).items()
    judge = judge_factory(*(["8 6"] * len(items) + ["8 8"] * len(items)))
    options = ScoreOptions(judge_url=judge.url, judge_repeats=2, progress=False)
    summary = get_benchmark("llava-bench").score_run(_rows(items, "A short answer."), tmp_path, options)
    assert len(judge.requests) == 2 * len(items)
    for request, item in zip(judge.requests, items):
        system, user = request["messages"]
        assert (system["role"], system["content"]) == ("system", SYSTEM_PROMPT)
        assert request["temperature"] == 0.2 and request["model"] == "judge-test"
        content = user["content"]
        assert content.startswith(f"[Context]\n{item['context']}\n\n[Question]\n{item['prompt']}\n\n")
        assert f"[Assistant 1]\n{item['reference']}\n\n[End of Assistant 1]" in content
        assert "[Assistant 2]\nA short answer.\n\n[End of Assistant 2]" in content
        assert content.endswith(f"[System]\n{RULES[item['category']]['prompt']}\n\n")
    assert summary["metrics"]["relative_score_all"] == pytest.approx(87.5)
    assert summary["spread"]["relative_score_all"] == pytest.approx(17.6777, abs=1e-3)
    assert summary["paper"]["relative_score_all"]["value"] == 85.1  # COCO-format data → LLaVA-Bench (COCO)
    stored = [json.loads(line) for line in (tmp_path / "reviews_0.jsonl").read_text().splitlines()]
    assert stored[0]["tuple"] == [8.0, 6.0] and stored[0]["content"].startswith("8 6\nAssistant 1")
    again = get_benchmark("llava-bench").score_run(_rows(items, "A short answer."), tmp_path,
                                                   ScoreOptions(judge_repeats=2, progress=False))
    assert again["metrics"] == summary["metrics"] and len(judge.requests) == 2 * len(items)


def test_malformed_judge_output_is_retried_then_refused(sim_bench, tmp_path, judge_factory):
    items = get_benchmark("llava-bench")(sim_bench).items()[:1]
    judge = judge_factory("Both answers are good.", "9 7")
    (tmp_path / "a").mkdir()
    summary = get_benchmark("llava-bench").score_run(_rows(items), tmp_path / "a", ScoreOptions(judge_url=judge.url, progress=False))
    assert len(judge.requests) == 2 and summary["metrics"]["relative_score_all"] == pytest.approx(100 * 7 / 9)
    bad = judge_factory("Assistant 1: 8, Assistant 2: 7")
    (tmp_path / "b").mkdir()
    with pytest.raises(JudgeError, match=f"question {items[0]['question_id']} in 3 attempts"):
        get_benchmark("llava-bench").score_run(_rows(items), tmp_path / "b", ScoreOptions(judge_url=bad.url, progress=False))


def test_eval_score_command_writes_the_report(sim_bench, tmp_path, judge_factory):
    items = get_benchmark("llava-bench")(sim_bench).items()
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"bench": "llava-bench", "options": {"data": str(sim_bench)}, "model": "m", "engine": "torch"}))
    (run / "items.jsonl").write_text("".join(json.dumps(i) + "\n" for i in items))
    (run / "predictions.jsonl").write_text("".join(json.dumps(r) + "\n" for r in _rows(items)))
    judge = judge_factory("7 7", "7 6")
    assert main(["eval", "score", "--run", str(run), "--judge-url", judge.url, "--judge-repeats", "2", "--quiet"]) == 0
    table = (run / "scores.md").read_text()
    assert "| relative_score_all |" in table and " ± " in table and "paper (different model and data)" in table
    assert (run / "scores.png").stat().st_size > 0

"""The openai teacher against a local OpenAI-compatible chat-completions server (stdlib, 127.0.0.1)."""
import json
import random
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from training.data import teachers
from training.data.context import context_boxes, symbolic_context
from training.data.instructions import BRIEF, DETAILED
from training.data.teachers.openai_chat import SYSTEM_PROMPTS, check_boxes, parse_qa
from training.data.teachers.seed_examples import SEED_EXAMPLES


class FakeChatServer(ThreadingHTTPServer):
    """Answers POST /v1/chat/completions with ``self.reply(kind, boxes)``; records every request."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict] = []
        self.reply = None
        self.status = 200

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
        kind = next(k for k, prompt in SYSTEM_PROMPTS.items() if prompt == body["messages"][0]["content"])
        content = self.server.reply(kind, body["messages"][-1]["content"])
        payload = {"id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": body["model"],
                   "choices": [{"index": 0, "finish_reason": "stop",
                                "message": {"role": "assistant", "content": content}}],
                   "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}
        data = json.dumps(payload).encode() if self.server.status == 200 else b'{"error": "overloaded"}'
        self.send_response(self.server.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def realistic_reply(kind: str, context: str) -> str:
    """What a good model writes, citing the context's own boxes."""
    boxes = [line.split(": ", 1) for line in context.splitlines() if line.endswith("]")]
    (a, box_a), (b, box_b) = boxes[0], boxes[1]
    return {
        "brief": f"A robot arm at a table with a {a} {box_a} and a {b} {box_b}.",
        "conversation": (f"Question:\nWhat colour is the {a.split()[1]}?\n===\nAnswer:\nIt is {a.split()[0]}: "
                         f"the {a} {box_a}.\n===\nQuestion:\nIs there a pink elephant?\n===\nAnswer:\n"
                         f"No, there is no pink elephant on the table.\n===\n"),
        "detail": f"The image shows a robot arm behind a table. The {a} {box_a} stands near the {b} {box_b}.",
        "reasoning": (f"Question:\nWhich object should the robot pick first?\n===\nAnswer:\nThe {b} {box_b} "
                      f"is easiest to reach, so the robot should pick it before the {a} {box_a}."),
    }[kind]


@pytest.fixture
def server():
    srv = FakeChatServer()
    srv.reply = realistic_reply
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def teacher(server, monkeypatch):
    monkeypatch.setenv("LLAVA_ROS_TEST_KEY", "sk-test-123")
    return teachers.get("openai", base_url=server.base_url, model="test-model", api_key_env="LLAVA_ROS_TEST_KEY")


def test_request_follows_the_paper_prompting(server, teacher, truths):
    truth = truths[1]
    turns = teacher.respond(truth, "conversation", random.Random(0))
    [request] = server.requests
    assert request["path"] == "/v1/chat/completions"
    assert request["headers"]["Authorization"] == "Bearer sk-test-123"
    body = request["body"]
    assert body["model"] == "test-model" and body["temperature"] == pytest.approx(0.2)
    messages = body["messages"]
    assert messages[0] == {"role": "system", "content": SYSTEM_PROMPTS["conversation"]}
    shots = SEED_EXAMPLES["conversation"]
    assert len(messages) == 2 + 2 * len(shots)
    for i, (context, response) in enumerate(shots):
        assert messages[1 + 2 * i] == {"role": "user", "content": context}
        assert messages[2 + 2 * i] == {"role": "assistant", "content": response}
    assert messages[-1] == {"role": "user", "content": symbolic_context(truth)}
    for label, box in context_boxes(truth).items():
        assert f"{label}: {box}" in messages[-1]["content"]  # the paper's "object: [x1, y1, x2, y2]" lines
    assert truth["captions"][0] in messages[-1]["content"]
    assert [t.question for t in turns] == ["What colour is the sphere?", "Is there a pink elephant?"]
    assert turns[0].answer == "It is purple: the purple sphere [0.66, 0.42, 0.76, 0.51]."


def test_every_kind_parses(teacher, truths):
    for kind in teachers.KINDS:
        turns = teacher.respond(truths[2], kind, random.Random(3))
        assert turns and all(t.question and t.answer for t in turns)
    assert teacher.respond(truths[2], "brief", random.Random(3))[0].question in BRIEF
    assert teacher.respond(truths[2], "detail", random.Random(3))[0].question in DETAILED
    assert len(teacher.respond(truths[2], "reasoning", random.Random(3))) == 1


@pytest.mark.parametrize("reply, message", [
    ("Question:\nWhere is it?\n===\nAnswer:\nThe cube [0.4, 0.5] is there.", r"malformed box '\[0.4, 0.5\]'"),
    ("Question:\nWhere is it?\n===\nAnswer:\nThe red cube [0.10, 0.10, 0.20, 0.20].",
     r"box \[0.10, 0.10, 0.20, 0.20\] after 'red cube' is not the box of any object"),
    ("Question:\nWhere is it?\n===\nAnswer:\nThe cube [0.90, 0.10, 0.20, 0.20].", "not a normalised box"),
    ("Here is a conversation about the image.", "block 1 starts with 'Here is a"),
    ("Question:\nWhere is it?\n===\n", "question without an answer"),
    ("Question:\nWhere is it?\n===\nAnswer:\n\n===\n", r"block 2 \(Answer:\) is empty"),
])
def test_malformed_responses_raise_naming_the_problem(server, teacher, truths, reply, message):
    server.reply = lambda kind, context: reply
    with pytest.raises(ValueError, match=message) as err:
        teacher.respond(truths[0], "conversation", random.Random(0))
    assert "teacher 'openai' (model 'test-model'), conversation response for seed 0" in str(err.value)


def test_endpoint_and_configuration_errors(server, teacher, truths, monkeypatch):
    server.reply = lambda kind, context: "Question:\nA?\n===\nAnswer:\nB.\n===\nQuestion:\nC?\n===\nAnswer:\nD."
    with pytest.raises(ValueError, match="expected one question and answer, got 2"):
        teacher.respond(truths[0], "reasoning", random.Random(0))
    server.reply = lambda kind, context: "   "
    with pytest.raises(ValueError, match="returned an empty completion"):
        teacher.respond(truths[0], "detail", random.Random(0))
    server.status = 503
    with pytest.raises(RuntimeError, match="answered HTTP 503"):
        teacher.respond(truths[0], "detail", random.Random(0))
    monkeypatch.delenv("LLAVA_ROS_MISSING_KEY", raising=False)
    with pytest.raises(ValueError, match="'LLAVA_ROS_MISSING_KEY' \\(api_key_env\\) is not set"):
        teachers.get("openai", base_url=server.base_url, api_key_env="LLAVA_ROS_MISSING_KEY")
    with pytest.raises(ValueError, match="base_url must start with http"):
        teachers.get("openai", base_url="localhost:8000", api_key_env="")
    keyless = teachers.get("openai", base_url=server.base_url, api_key_env="")
    server.status, server.reply = 200, realistic_reply
    keyless.respond(truths[0], "brief", random.Random(0))
    assert "Authorization" not in server.requests[-1]["headers"]


def test_seed_examples_pass_the_teachers_own_checks(truths):
    for kind, shots in SEED_EXAMPLES.items():
        assert len(shots) == 2
        for context, response in shots:
            boxes = dict(line.split(": ", 1) for line in context.splitlines() if line.endswith("]"))
            check_boxes(response, boxes)
            if kind in ("conversation", "reasoning"):
                assert len(parse_qa(response)) == (1 if kind == "reasoning" else 3)
    # the contexts are those of seeds 1 and 9, rendered now
    assert [c for c, _ in SEED_EXAMPLES["brief"]] == [symbolic_context(truths[1]), symbolic_context(truths[3])]

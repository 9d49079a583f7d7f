"""`llava-ros serve` ↔ the remote engine on loopback: same greedy answers as torch, streaming, error mapping."""
import base64
import json
import urllib.error
import urllib.request

import numpy as np
import pytest

from llava_ros.engine import GenerationSettings, create_engine
from llava_ros.serve.openai_api import encode_data_url
from llava_ros.serve.server import serve
from tests.tiny import save_tiny_checkpoint


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    return create_engine("torch", model_path=save_tiny_checkpoint(tmp_path_factory.mktemp("tiny")))


@pytest.fixture(scope="module")
def server(local):
    server = serve(local, "127.0.0.1", 0, model_name="llava-tiny")
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def remote(server):
    return create_engine("remote", base_url=server.url, timeout=30)


def image(seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(40, 56, 3), dtype=np.uint8)


def post(server, body, raw=None):
    data = raw if raw is not None else json.dumps(body).encode()
    request = urllib.request.Request(server.url + "/chat/completions", data=data,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_models_lists_the_served_model(remote):
    assert remote.model == "llava-tiny"


def test_remote_greedy_answers_equal_the_torch_engine(local, remote):
    settings = GenerationSettings(max_new_tokens=12)
    for seed, prompt in enumerate(["Where is the red cube?", "What is on the table?"]):
        want, got = local.answer(image(seed), prompt, settings), remote.answer(image(seed), prompt, settings)
        assert got.text == want.text and got.stop_reason == want.stop_reason
        assert got.prompt_tokens == want.prompt_tokens
    assert remote.answer(None, "Hello", settings).text == local.answer(None, "Hello", settings).text
    batch = remote.answer_batch([image(0), None], ["Where is the red cube?", "Hello"], settings)
    assert [r.text for r in batch] == [r.text for r in local.answer_batch([image(0), None],
                                                                          ["Where is the red cube?", "Hello"], settings)]


def test_streamed_pieces_concatenate_to_the_answer(local, remote):
    settings = GenerationSettings(max_new_tokens=16)
    pieces = []
    result = remote.answer(image(3), "Describe the scene.", settings, pieces.append)
    assert "".join(pieces).strip() == result.text == local.answer(image(3), "Describe the scene.", settings).text


def test_raw_sse_format(server):
    status, text = post(server, {"model": "llava-tiny", "stream": True, "max_tokens": 4,
                                 "messages": [{"role": "user", "content": "Hello"}]})
    events = [line[len("data: "):] for line in text.split("\n\n") if line.startswith("data: ")]
    assert status == 200 and events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] in ("stop", "length")


def test_non_streamed_response_shape(server):
    status, text = post(server, {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": [
        {"type": "text", "text": "Where is the red cube?"},
        {"type": "image_url", "image_url": {"url": encode_data_url(image())}}]}], "max_tokens": 3})
    body = json.loads(text)
    assert status == 200 and body["object"] == "chat.completion"
    assert body["choices"][0]["message"]["role"] == "assistant"
    assert body["usage"]["completion_tokens"] <= 3 and body["choices"][0]["finish_reason"] in ("stop", "length")


def bad_png():
    return "data:image/png;base64," + base64.b64encode(b"not a png at all").decode()


@pytest.mark.parametrize("body, status, message", [
    ({"messages": [{"role": "user", "content": "   "}]}, 400, "prompt is empty"),
    ({"messages": [{"role": "user", "content": "x" * 5000}]}, 400, "prompt is 5000 characters long"),
    ({"messages": [{"role": "user", "content": "red cube " * 200}], "max_tokens": 8}, 400,
     "exceeds the model's context"),
    ({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": bad_png()}},
                                                {"type": "text", "text": "hi"}]}]}, 400, "image could not be decoded"),
    ({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "http://x/y.png"}},
                                                {"type": "text", "text": "hi"}]}]}, 400, "base64 data URL"),
    ({"messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": encode_data_url(np.zeros((4, 32, 3), np.uint8))}},
        {"type": "text", "text": "hi"}]}]}, 400, "too small"),
    ({"messages": []}, 400, "messages must be a non-empty list"),
    ({"messages": [{"role": "user", "content": "hi"}], "max_tokens": 0}, 400, "max_new_tokens must be in"),
    ({"messages": [{"role": "user", "content": "hi"}], "model": "gpt-9"}, 404, "is not served here"),
])
def test_errors_are_openai_shaped(server, body, status, message):
    got, text = post(server, body)
    error = json.loads(text)["error"]
    assert got == status and message in error["message"] and error["type"] == "invalid_request_error"


def test_invalid_json_and_unknown_route(server):
    status, text = post(server, None, raw=b"{nope")
    assert status == 400 and "not valid JSON" in json.loads(text)["error"]["message"]
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(server.url.replace("/v1", "/nope"), timeout=10)
    assert info.value.code == 404


def test_remote_engine_raises_value_errors_for_4xx_and_runtime_errors_when_unreachable(remote):
    with pytest.raises(ValueError, match="exceeds the model's context"):
        remote.answer(None, "red cube " * 200, GenerationSettings(max_new_tokens=8))
    with pytest.raises(RuntimeError, match="cannot reach"):
        create_engine("remote", base_url="http://127.0.0.1:9/v1", model="m", timeout=2).answer(None, "hi")

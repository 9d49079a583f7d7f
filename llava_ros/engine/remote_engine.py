"""The remote engine: a client of an OpenAI-compatible chat-completions server.

    engine = create_engine("remote", base_url="http://127.0.0.1:8000/v1")         # `llava-ros serve`
    engine = create_engine("remote", base_url="http://gpu-box:8000/v1", model="llava-hf/llava-1.5-7b-hf",
                           api_key_env="VLLM_API_KEY")                               # vLLM / SGLang / TRT-LLM

Images travel as PNG data URLs (lossless, so our own server answers exactly like a local engine). Streaming
uses server-sent events. 4xx answers raise `ValueError` with the server's message (what local engines raise
for the same input); connection failures, timeouts and 5xx raise `RuntimeError`. Token ids are not part of
the API, so `EngineResult.token_ids` stays empty; `prompt_tokens` comes from the server's `usage`.
`model=None` asks `GET /models` and uses the first id. Standard library only (urllib).
"""
from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

import numpy as np

from llava_ros.engine import register_engine
from llava_ros.engine.base import Engine, EngineResult, GenerationSettings, check_image, check_prompt
from llava_ros.serve.openai_api import chat_request_body

STOP_REASONS = {"stop": "eos", "length": "max_new_tokens"}
DEFAULT_URL_ENV = "LLAVA_ROS_REMOTE_URL"


@register_engine("remote")
class RemoteEngine(Engine):
    """`model_path` is accepted (the CLI passes it to every engine) and ignored; the server owns the model."""

    def __init__(self, base_url: str | None = None, model: str | None = None, api_key_env: str = "OPENAI_API_KEY",
                 timeout: float = 120.0, max_parallel: int = 8, model_path: str | Path | None = None):
        self.base_url = (base_url or os.environ.get(DEFAULT_URL_ENV) or "http://127.0.0.1:8000/v1").rstrip("/")
        self.api_key = os.environ.get(api_key_env) if api_key_env else None
        self.timeout = timeout
        self.max_parallel = max_parallel
        self.model = model or self._first_model()
        self.model_id = f"{self.base_url}#{self.model}"

    def _request(self, method: str, path: str, body: dict | None = None):
        headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base_url + path, data=data, headers=headers, method=method)
        try:
            return urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            message = _error_message(exc)
            if 400 <= exc.code < 500:
                raise ValueError(f"{message} (HTTP {exc.code} from {self.base_url})") from None
            raise RuntimeError(f"server error HTTP {exc.code} from {self.base_url}: {message}") from None
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            raise RuntimeError(f"cannot reach {self.base_url}{path}: {getattr(exc, 'reason', exc)}") from None

    def _first_model(self) -> str:
        with self._request("GET", "/models") as response:
            data = json.load(response).get("data") or []
        if not data:
            raise RuntimeError(f"{self.base_url}/models lists no models; pass model=...")
        return data[0]["id"]

    def answer(self, image: np.ndarray | None, prompt: str, settings: GenerationSettings | None = None,
               on_text: Callable[[str], None] | None = None) -> EngineResult:
        settings = settings or GenerationSettings()
        prompt = check_prompt(prompt)
        if image is not None:
            check_image(image)
        start = time.perf_counter()
        body = chat_request_body(image, prompt, settings, self.model, stream=on_text is not None)
        if on_text is None:
            with self._request("POST", "/chat/completions", body) as response:
                reply = json.load(response)
            choice = reply["choices"][0]
            text, finish, usage = choice["message"].get("content") or "", choice.get("finish_reason"), reply.get("usage")
        else:
            text, finish, usage = self._stream(body, on_text)
        return EngineResult(text=text.strip(), stop_reason=STOP_REASONS.get(finish, "eos"),
                            latency_s=time.perf_counter() - start, prompt_tokens=(usage or {}).get("prompt_tokens", 0))

    def _stream(self, body: dict[str, Any], on_text: Callable[[str], None]) -> tuple[str, str | None, dict | None]:
        pieces, finish, usage = [], None, None
        with self._request("POST", "/chat/completions", body) as response:
            for raw in response:
                line = raw.decode("utf-8").strip()
                if not line.startswith("data:"):
                    continue
                payload = line[len("data:"):].strip()
                if payload == "[DONE]":
                    break
                chunk = json.loads(payload)
                if "error" in chunk:
                    raise RuntimeError(f"stream from {self.base_url} failed: {chunk['error'].get('message')}")
                usage = chunk.get("usage") or usage
                for choice in chunk.get("choices") or []:
                    piece = (choice.get("delta") or {}).get("content")
                    if piece:
                        pieces.append(piece)
                        on_text(piece)
                    finish = choice.get("finish_reason") or finish
        return "".join(pieces), finish, usage

    def answer_batch(self, images: list[np.ndarray | None], prompts: list[str],
                     settings: GenerationSettings | None = None) -> list[EngineResult]:
        """Concurrent requests, so a batching server (vLLM, SGLang) can batch them."""
        if len(images) != len(prompts):
            raise ValueError(f"{len(images)} images but {len(prompts)} prompts")
        with ThreadPoolExecutor(max_workers=max(1, min(self.max_parallel, len(prompts)))) as pool:
            return list(pool.map(lambda pair: self.answer(pair[0], pair[1], settings), zip(images, prompts)))


def _error_message(exc: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(exc.read() or b"{}")
        return body.get("error", {}).get("message") or json.dumps(body)
    except (json.JSONDecodeError, AttributeError, ValueError):
        return exc.reason or f"HTTP {exc.code}"

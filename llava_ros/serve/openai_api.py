"""The slice of OpenAI's chat-completions API that llava_ros serves and calls (no HTTP here).

Request (POST /v1/chat/completions), the fields read:
    {"model": "...", "messages": [{"role": "user", "content": "text" | [
        {"type": "text", "text": "Where is the red cube?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,..."}}]}],
     "max_tokens" | "max_completion_tokens": 64, "temperature": 0, "top_p": 1, "seed": 0,
     "stream": false, "stream_options": {"include_usage": true}}
The answer is about the last user message (its text parts joined by newlines) and at most one image
anywhere in the conversation (LLaVA-1.5 is single-image); system and earlier turns are not used.

Response: a `chat.completion` object; streamed: `chat.completion.chunk` objects as server-sent events
(`data: {...}\\n\\n`), a first chunk with the role, content deltas, a last chunk with `finish_reason`, then
`data: [DONE]`. Errors: `{"error": {"message", "type", "param", "code"}}` with a 4xx/5xx status.
"""
from __future__ import annotations

import base64
import binascii
import io
import time
import uuid
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from llava_ros.answer_budget import DEFAULT_MAX_NEW_TOKENS
from llava_ros.engine.base import EngineResult, GenerationSettings

FINISH_REASONS = {"eos": "stop", "stop_string": "stop", "max_new_tokens": "length"}


class ApiError(Exception):
    """An error the client caused (4xx) or the server hit (5xx), in OpenAI's error shape."""

    def __init__(self, status: int, message: str, param: str | None = None, code: str | None = None,
                 type: str | None = None):
        super().__init__(message)
        self.status, self.message, self.param, self.code = status, message, param, code
        self.type = type or ("invalid_request_error" if status < 500 else "server_error")

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


@dataclass
class ChatRequest:
    image: np.ndarray | None
    prompt: str
    settings: GenerationSettings
    model: str | None
    stream: bool
    include_usage: bool


def decode_data_url(url: str) -> np.ndarray:
    """`data:image/<fmt>;base64,<bytes>` → (H, W, 3) uint8 RGB, or ApiError 400 naming the problem."""
    if not isinstance(url, str) or not url.startswith("data:"):
        shown = url[:40] if isinstance(url, str) else type(url).__name__
        raise ApiError(400, f"image_url must be a base64 data URL (data:image/png;base64,...), got {shown!r}; "
                            "this server does not fetch remote URLs", "messages", "invalid_image_url")
    header, _, payload = url.partition(",")
    if not header.endswith(";base64") or not payload:
        raise ApiError(400, f"image data URL must be base64-encoded, header is {header[:40]!r}", "messages",
                       "invalid_image_url")
    try:
        raw = base64.b64decode(payload, validate=True)
        with Image.open(io.BytesIO(raw)) as img:
            return np.asarray(img.convert("RGB"), dtype=np.uint8)
    except (binascii.Error, ValueError) as exc:
        raise ApiError(400, f"image data URL is not valid base64: {exc}", "messages", "invalid_image") from exc
    except (UnidentifiedImageError, OSError) as exc:
        raise ApiError(400, f"image could not be decoded ({len(raw)} bytes): {exc}", "messages",
                       "invalid_image") from exc


def encode_data_url(image: np.ndarray) -> str:
    """(H, W, 3) uint8 RGB → `data:image/png;base64,...` (lossless, so answers match local engines)."""
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _number(body: dict, name: str, default, kind=float):
    value = body.get(name, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and int(value) != value):
        raise ApiError(400, f"{name} must be {'an integer' if kind is int else 'a number'}, got {value!r}", name)
    return kind(value)


def parse_chat_request(body: Any) -> ChatRequest:
    """Validate a chat-completions body; ApiError 400 names the offending field."""
    if not isinstance(body, dict):
        raise ApiError(400, f"request body must be a JSON object, got {type(body).__name__}")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "messages must be a non-empty list", "messages")
    if _number(body, "n", 1, int) != 1:
        raise ApiError(400, f"only n=1 is supported, got n={body['n']!r}", "n")
    images, prompt = [], None
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or "role" not in message:
            raise ApiError(400, f"messages[{index}] must be an object with a role", "messages")
        content = message.get("content")
        parts = [{"type": "text", "text": content}] if isinstance(content, str) else content
        if not isinstance(parts, list):
            raise ApiError(400, f"messages[{index}].content must be a string or a list of parts", "messages")
        texts = []
        for part in parts:
            kind = part.get("type") if isinstance(part, dict) else None
            if kind == "text":
                texts.append(str(part.get("text", "")))
            elif kind == "image_url":
                image_url = part.get("image_url")
                images.append(decode_data_url(image_url.get("url") if isinstance(image_url, dict) else image_url))
            else:
                raise ApiError(400, f"messages[{index}] has a content part of unsupported type {kind!r} "
                                    "(text and image_url are supported)", "messages")
        if message["role"] == "user":
            prompt = "\n".join(t for t in texts if t)
    if prompt is None:
        raise ApiError(400, "messages hold no user message", "messages")
    if len(images) > 1:
        raise ApiError(400, f"only one image per conversation is supported, got {len(images)}", "messages")
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    try:
        settings = GenerationSettings(
            max_new_tokens=_number({"max_tokens": max_tokens}, "max_tokens", DEFAULT_MAX_NEW_TOKENS, int),
            temperature=_number(body, "temperature", 0.0), top_p=_number(body, "top_p", 1.0),
            seed=_number(body, "seed", None, int))
    except ValueError as exc:
        raise ApiError(400, str(exc), "max_tokens" if "max_new_tokens" in str(exc) else None) from exc
    options = body.get("stream_options") or {}
    return ChatRequest(images[0] if images else None, prompt, settings, body.get("model"),
                       bool(body.get("stream", False)), bool(options.get("include_usage", False)))


def engine_error(exc: ValueError) -> ApiError:
    """A ValueError from an engine (bad image, empty or long prompt) as a 400 with OpenAI's codes."""
    message = str(exc)
    code = "context_length_exceeded" if "exceeds the model's context" in message else None
    if "characters long" in message:
        code = "prompt_too_long"
    return ApiError(400, message, "messages", code)


def completion_id() -> str:
    return "chatcmpl-" + uuid.uuid4().hex[:24]


def usage(result: EngineResult) -> dict[str, int]:
    completion = len(result.token_ids)
    return {"prompt_tokens": result.prompt_tokens, "completion_tokens": completion,
            "total_tokens": result.prompt_tokens + completion}


def completion_body(result: EngineResult, model: str, cid: str | None = None) -> dict[str, Any]:
    return {"id": cid or completion_id(), "object": "chat.completion", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": result.text},
                         "finish_reason": FINISH_REASONS.get(result.stop_reason, "stop")}],
            "usage": usage(result)}


def chunk_body(cid: str, model: str, delta: dict[str, str], finish_reason: str | None = None,
               created: int | None = None) -> dict[str, Any]:
    return {"id": cid, "object": "chat.completion.chunk", "created": created or int(time.time()), "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]}


def chat_request_body(image: np.ndarray | None, prompt: str, settings: GenerationSettings, model: str,
                      stream: bool) -> dict[str, Any]:
    """What the remote engine sends: the inverse of `parse_chat_request`."""
    parts: list[dict[str, Any]] = [{"type": "text", "text": prompt}]
    if image is not None:
        parts.insert(0, {"type": "image_url", "image_url": {"url": encode_data_url(image)}})
    body = {"model": model, "messages": [{"role": "user", "content": parts}], "max_tokens": settings.max_new_tokens,
            "temperature": settings.temperature, "top_p": settings.top_p, "stream": stream}
    if settings.seed is not None:
        body["seed"] = settings.seed
    if stream:
        body["stream_options"] = {"include_usage": True}
    return body

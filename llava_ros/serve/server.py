"""``llava-ros serve``: any engine behind the OpenAI-compatible chat-completions API.

    llava-ros serve --engine torch --model models/llava-ros-sim --host 127.0.0.1 --port 8000
    curl -s localhost:8000/v1/chat/completions -d '{"messages": [{"role": "user", "content": "Hello"}]}'

Endpoints: ``POST /v1/chat/completions`` (streaming with ``"stream": true``), ``GET /v1/models``, ``GET /health``.
Standard library only (`http.server.ThreadingHTTPServer`): requests are accepted concurrently but reach the
engine one at a time (engines hold a KV cache and are not thread-safe). The request format and error
mapping live in `openai_api.py`.
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from llava_ros.engine.base import Engine
from llava_ros.serve.openai_api import (FINISH_REASONS, ApiError, chunk_body, completion_body, completion_id,
                                        engine_error, parse_chat_request, usage)

MAX_BODY_BYTES = 32 << 20


class ChatServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, engine: Engine, address: tuple[str, int], model_name: str | None = None):
        super().__init__(address, ChatHandler)
        self.engine = engine
        self.model_name = model_name or engine.model_id
        self.lock = threading.Lock()
        self.created = int(time.time())

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/v1"


class ChatHandler(BaseHTTPRequestHandler):
    server: ChatServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet by default; errors are in the responses
        pass

    def _send_json(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)

    def _send_error(self, error: ApiError) -> None:
        self.close_connection = True  # the request body may be unread; start the next request afresh
        self._send_json(error.status, error.body())

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/v1/models":
            self._send_json(200, {"object": "list", "data": [
                {"id": self.server.model_name, "object": "model", "created": self.server.created,
                 "owned_by": "llava_ros"}]})
        elif self.path == "/health":
            self._send_json(200, {"status": "ok"})
        else:
            self._send_error(ApiError(404, f"no route GET {self.path}", code="not_found"))

    def do_POST(self) -> None:
        try:
            if self.path.rstrip("/") != "/v1/chat/completions":
                raise ApiError(404, f"no route POST {self.path}", code="not_found")
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                raise ApiError(413, f"request body is {length} bytes; the limit is {MAX_BODY_BYTES}")
            try:
                body = json.loads(self.rfile.read(length) or b"null")
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise ApiError(400, f"request body is not valid JSON: {exc}") from exc
            request = parse_chat_request(body)
            if request.model not in (None, "", self.server.model_name):
                raise ApiError(404, f"model {request.model!r} is not served here; this server serves "
                                    f"{self.server.model_name!r}", "model", "model_not_found")
            if request.stream:
                self._stream(request)
            else:
                with self.server.lock:
                    result = self.server.engine.answer(request.image, request.prompt, request.settings)
                self._send_json(200, completion_body(result, self.server.model_name))
        except ApiError as exc:
            self._send_error(exc)
        except ValueError as exc:
            self._send_error(engine_error(exc))
        except Exception as exc:  # the server keeps serving; the client learns what happened
            self._send_error(ApiError(500, f"{type(exc).__name__}: {exc}"))

    def _stream(self, request) -> None:
        """Server-sent events; headers go out with the first piece so that validation errors stay JSON 4xx."""
        cid, model, created = completion_id(), self.server.model_name, int(time.time())
        started = False

        def send(body: dict[str, Any] | str) -> None:
            nonlocal started
            if not started:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                started = True
                send(chunk_body(cid, model, {"role": "assistant", "content": ""}, created=created))
            payload = body if isinstance(body, str) else json.dumps(body)
            self.wfile.write(f"data: {payload}\n\n".encode())
            self.wfile.flush()

        try:
            with self.server.lock:
                result = self.server.engine.answer(
                    request.image, request.prompt, request.settings,
                    on_text=lambda piece: send(chunk_body(cid, model, {"content": piece}, created=created)))
        except Exception as exc:
            if not started:
                raise
            error = engine_error(exc) if isinstance(exc, ValueError) else ApiError(500, f"{type(exc).__name__}: {exc}")
            send(error.body())
            send("[DONE]")
            self.close_connection = True
            return
        send(chunk_body(cid, model, {}, FINISH_REASONS.get(result.stop_reason, "stop"), created=created))
        if request.include_usage:
            send({"id": cid, "object": "chat.completion.chunk", "created": created, "model": model, "choices": [],
                  "usage": usage(result)})
        send("[DONE]")
        self.close_connection = True


def serve(engine: Engine, host: str = "127.0.0.1", port: int = 8000, model_name: str | None = None) -> ChatServer:
    """A started server (background thread); `server.shutdown()` stops it. Port 0 picks a free port."""
    server = ChatServer(engine, (host, port), model_name)
    threading.Thread(target=server.serve_forever, name="llava-ros-serve", daemon=True).start()
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="llava-ros serve", description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="torch", help="registered engine name (torch, onnx, tensorrt)")
    parser.add_argument("--model", required=True, help="checkpoint folder")
    parser.add_argument("--model-name", default=None, help="the id clients send as `model` (default: --model)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--device", default=None, help="torch engine device (cpu, cuda)")
    args = parser.parse_args(argv)
    from llava_ros.engine import create_engine

    kwargs = {"device": args.device} if args.device else {}
    try:
        engine = create_engine(args.engine, model_path=args.model, **kwargs)
    except (ValueError, FileNotFoundError, ImportError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    server = ChatServer(engine, (args.host, args.port), args.model_name)
    print(f"serving {server.model_name!r} ({args.engine}) on {server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

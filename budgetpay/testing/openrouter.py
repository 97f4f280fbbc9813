"""OpenRouter's chat-completions protocol (OpenAI-compatible, streamed or not, with tool calls)
on a real local HTTP server, so the LLM gateway is tested over a socket, never patched away."""

import json
import time
from collections.abc import Callable

from budgetpay.testing.servers import FakeHTTPServer


class FakeOpenRouter:
    """OpenRouter's chat-completions protocol on a real local server. Tests queue
    replies; each request takes the next one (or the default text reply)."""

    def __init__(self, server: FakeHTTPServer) -> None:
        self.server = server
        self.replies: list[Callable[[dict], tuple]] = []
        self.default_text = "Keep going: your spending is on track."
        server.route("POST", "/api/v1/chat/completions", self._answer)

    @property
    def base_url(self) -> str:
        return f"{self.server.url}/api/v1"

    @property
    def calls(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.server.requests if r["path"] == "/api/v1/chat/completions"]

    def _answer(self, request: dict) -> tuple:
        body = json.loads(request["body"])
        reply = self.replies.pop(0) if self.replies else (lambda body: self.text_body(body, self.default_text))
        return reply(body)

    @staticmethod
    def completion(body: dict, message: dict, finish_reason: str = "stop") -> tuple:
        return 200, {
            "id": "gen-1",
            "object": "chat.completion",
            "created": 1700000000,
            "model": body["model"],
            "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
            "usage": {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150},
        }

    def text_body(self, body: dict, text: str) -> tuple:
        if body.get("stream"):
            return self.stream_body(body, text)
        return self.completion(body, {"role": "assistant", "content": text})

    def stream_body(self, body: dict, text: str) -> tuple:
        events = []
        for piece in [text[i : i + 8] for i in range(0, len(text), 8)]:
            chunk = {
                "id": "gen-1",
                "object": "chat.completion.chunk",
                "created": 1700000000,
                "model": body["model"],
                "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
            }
            events.append(f"data: {json.dumps(chunk)}\n\n")
        usage = {
            "id": "gen-1",
            "object": "chat.completion.chunk",
            "created": 1700000000,
            "model": body["model"],
            "choices": [],
            "usage": {"prompt_tokens": 50, "completion_tokens": 20, "total_tokens": 70},
        }
        events.append(f"data: {json.dumps(usage)}\n\n")
        events.append("data: [DONE]\n\n")
        return 200, "".join(events).encode(), "text/event-stream"

    def reply_text(self, text: str) -> None:
        self.replies.append(lambda body: self.text_body(body, text))

    def reply_tool_call(self, name: str, arguments: dict | str, call_id: str = "call_1", content: str = "") -> None:
        """A reply asking for one tool, after `content` (text some models write first)."""
        raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
        message = {
            "role": "assistant",
            "content": content or None,
            "tool_calls": [{"id": call_id, "type": "function", "function": {"name": name, "arguments": raw}}],
        }
        self.replies.append(
            lambda body: (
                self.stream_tool_call_body(body, call_id, name, raw, content)
                if body.get("stream")
                else self.completion(body, message, "tool_calls")
            )
        )

    @staticmethod
    def stream_tool_call_body(body: dict, call_id: str, name: str, raw: str, content: str = "") -> tuple:
        """A tool call streamed as OpenAI-compatible providers send it: any text first,
        then the call's id and name, the arguments in pieces, finish_reason "tool_calls"."""

        def chunk(delta: dict, finish_reason: str | None = None) -> str:
            return (
                "data: "
                + json.dumps(
                    {
                        "id": "gen-1",
                        "object": "chat.completion.chunk",
                        "created": 1700000000,
                        "model": body["model"],
                        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
                    }
                )
                + "\n\n"
            )

        events = [chunk({"role": "assistant", "content": content[i : i + 8]}) for i in range(0, len(content), 8)]
        events += [
            chunk(
                {
                    "role": "assistant",
                    "tool_calls": [
                        {"index": 0, "id": call_id, "type": "function", "function": {"name": name, "arguments": ""}}
                    ],
                }
            )
        ]
        for piece in [raw[i : i + 10] for i in range(0, len(raw), 10)]:
            events.append(chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}))
        events.append(chunk({}, "tool_calls"))
        events.append("data: [DONE]\n\n")
        return 200, "".join(events).encode(), "text/event-stream"

    def reply_error(self, status: int, times: int = 1) -> None:
        for _ in range(times):
            self.replies.append(lambda body: (status, {"error": {"message": "upstream trouble", "code": status}}))

    def reply_slowly(self, seconds: float, text: str = "too late") -> None:
        def slow(body: dict) -> tuple:
            time.sleep(seconds)
            return self.text_body(body, text)

        self.replies.append(slow)

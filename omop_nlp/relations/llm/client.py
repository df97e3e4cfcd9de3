"""An async client for OpenAI-compatible chat-completions servers (vLLM, llama.cpp, Ollama, TGI).

Many notes are sent at once with a bounded number in flight (``concurrency``, default 64) so
that the server can batch them. Every request is temperature 0, bounded in tokens and time,
and asks for structured output: ``response_format`` ``json_schema`` (vLLM, OpenAI), or, where
a server refuses that, ``json_object`` with the schema (llama.cpp's server), detected once and
kept. Every answer is validated by the caller's function; an invalid answer, a timeout or a
server error is retried once, then reported as failed so that the caller falls back.

A circuit breaker keeps a dead server from costing a timeout per note: after
``breaker_failures`` consecutive transport failures the rest of the batch is not sent, and
later batches go straight to the fallback for ``breaker_pause_s`` before trying again.

Nothing here logs or raises note text: errors are short reason codes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

from omop_nlp.relations.llm.config import LlmConfig, LlmConfigError
from omop_nlp.relations.llm.schema import InvalidAnswer

log = logging.getLogger(__name__)


@dataclass
class ChatRequest:
    messages: list[dict[str, str]]
    schema: dict
    validate: Callable[[str | None], Any]  # returns the parsed answer or raises InvalidAnswer


@dataclass
class ChatOutcome:
    value: Any = None  # the validated answer, or None
    error: str | None = None  # why there is none: timeout, connect_error, http_503, invalid_answer, ...
    attempts: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


class InvalidAnswerTruncated(InvalidAnswer):
    """The answer hit max_tokens."""

    def __init__(self, usage: dict) -> None:
        super().__init__("answer cut at max_tokens")
        self.usage = usage


class _Transport(Exception):
    """The server could not be reached or did not answer in time."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Refused(Exception):
    """An HTTP error answer."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"http_{status}")
        self.status = status
        self.body = body  # kept in memory to recognise "response_format not supported"; never logged


@dataclass
class _BatchState:
    consecutive_failures: int = 0
    broken: bool = False


def run_sync(coro: Coroutine) -> Any:
    """Run a coroutine to completion from synchronous code, inside a running event loop or not."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(1) as pool:  # called from async code (a notebook): a loop of our own
        return pool.submit(asyncio.run, coro).result()


def response_format(kind: str, schema: dict) -> dict:
    if kind == "json_schema":
        return {"type": "json_schema", "json_schema": {"name": "relations", "schema": schema, "strict": True}}
    return {"type": "json_object", "schema": schema}


class OpenAIChatBackend:
    """``complete(requests)`` → one ``ChatOutcome`` per request, in order. Reusable across batches."""

    name = "openai"

    def __init__(self, config: LlmConfig) -> None:
        if not config.url:
            raise LlmConfigError("the openai backend needs a URL")
        self.config = config
        self.base_url = config.url.rstrip("/")
        self._format = None if config.response_format == "auto" else config.response_format
        self._down_until = 0.0
        headers = {"Content-Type": "application/json"}
        if config.api_key:
            headers["Authorization"] = f"Bearer {config.api_key}"
        self._headers = headers

    @property
    def format_in_use(self) -> str | None:
        return self._format

    def complete(self, requests: list[ChatRequest]) -> list[ChatOutcome]:
        if not requests:
            return []
        if time.monotonic() < self._down_until:
            return [ChatOutcome(error="server_unavailable") for _ in requests]
        return run_sync(self.complete_async(requests))

    async def complete_async(self, requests: list[ChatRequest]) -> list[ChatOutcome]:
        c = self.config
        timeout = httpx.Timeout(c.timeout_s, connect=c.connect_timeout_s)
        limits = httpx.Limits(max_connections=c.concurrency, max_keepalive_connections=c.concurrency)
        state = _BatchState()
        gate = asyncio.Semaphore(c.concurrency)
        async with httpx.AsyncClient(base_url=self.base_url + "/", timeout=timeout, limits=limits,
                                     headers=self._headers) as client:  # fmt: skip
            outcomes = await asyncio.gather(*(self._one(client, gate, state, r) for r in requests))
        if state.broken:
            self._down_until = time.monotonic() + c.breaker_pause_s
            log.warning("LLM server at %s stopped answering; notes go to the rule mapper for %.0fs",
                        self.base_url, c.breaker_pause_s)  # fmt: skip
        return list(outcomes)

    async def _one(self, client: httpx.AsyncClient, gate: asyncio.Semaphore, state: _BatchState,
                   request: ChatRequest) -> ChatOutcome:  # fmt: skip
        outcome = ChatOutcome()
        started = time.monotonic()
        for _ in range(1 + self.config.retries):
            if state.broken:
                outcome.error = outcome.error or "server_unavailable"
                break
            async with gate:
                if state.broken:
                    outcome.error = outcome.error or "server_unavailable"
                    break
                outcome.attempts += 1
                try:
                    content, usage = await self._post(client, request)
                except _Transport as exc:
                    outcome.error = exc.reason
                    self._failed(state)
                    continue
                except _Refused as exc:
                    outcome.error = f"http_{exc.status}"
                    if exc.status >= 500:
                        self._failed(state)
                    continue
                except InvalidAnswerTruncated as exc:
                    state.consecutive_failures = 0
                    self._count(outcome, exc.usage)
                    outcome.error = "truncated"
                    continue
                state.consecutive_failures = 0
            self._count(outcome, usage)
            try:
                outcome.value = request.validate(content)
            except InvalidAnswer:
                outcome.error = "invalid_answer"
                continue
            outcome.error = None
            break
        outcome.seconds = time.monotonic() - started
        return outcome

    def _failed(self, state: _BatchState) -> None:
        state.consecutive_failures += 1
        if state.consecutive_failures >= self.config.breaker_failures:
            state.broken = True

    @staticmethod
    def _count(outcome: ChatOutcome, usage: dict) -> None:
        outcome.prompt_tokens += int(usage.get("prompt_tokens") or 0)
        outcome.completion_tokens += int(usage.get("completion_tokens") or 0)

    def _body(self, request: ChatRequest, kind: str) -> dict:
        c = self.config
        return {
            "model": c.model or "default",
            "messages": request.messages,
            "temperature": 0,
            "max_tokens": c.max_tokens,
            "stream": False,
            "response_format": response_format(kind, request.schema),
        }

    async def _post(self, client: httpx.AsyncClient, request: ChatRequest) -> tuple[str | None, dict]:
        kind = self._format or "json_schema"
        try:
            data = await self._send(client, self._body(request, kind))
        except _Refused as exc:
            if self._format is not None or exc.status not in (400, 422, 500) or "json_schema" not in exc.body:
                raise
            # A server that knows only json_object (+ schema), as llama.cpp's does: switch for good.
            data = await self._send(client, self._body(request, "json_object"))
            if self._format is None:
                self._format = "json_object"
                log.info("LLM server at %s takes response_format json_object with a schema", self.base_url)
        else:
            if self._format is None:
                self._format = kind
        try:
            choice = data["choices"][0]
            content = choice["message"].get("content")
            usage = data.get("usage") or {}
        except (KeyError, IndexError, TypeError, AttributeError):
            raise _Transport("bad_response") from None
        if choice.get("finish_reason") == "length":
            raise InvalidAnswerTruncated(usage)
        return content, usage

    async def _send(self, client: httpx.AsyncClient, body: dict) -> dict:
        total = self.config.timeout_s + self.config.connect_timeout_s
        try:
            response = await asyncio.wait_for(client.post("chat/completions", json=body), total)
        except (TimeoutError, httpx.TimeoutException):
            raise _Transport("timeout") from None
        except httpx.ConnectError:
            raise _Transport("connect_error") from None
        except httpx.HTTPError as exc:
            raise _Transport(f"transport_{exc.__class__.__name__}") from None
        if response.status_code >= 400:
            raise _Refused(response.status_code, response.text[:4000])
        try:
            return response.json()
        except ValueError:
            raise _Transport("bad_response") from None


def list_models(url: str, api_key: str | None = None, timeout_s: float = 10.0) -> list[str]:
    """The model ids a server serves (GET /models), [] when it does not say."""
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        response = httpx.get(url.rstrip("/") + "/models", headers=headers, timeout=timeout_s)
        response.raise_for_status()
        return [str(m["id"]) for m in response.json().get("data", []) if "id" in m]
    except (httpx.HTTPError, ValueError, KeyError, TypeError, AttributeError):
        return []

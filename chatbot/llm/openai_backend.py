"""Replies from an OpenAI-compatible chat-completions server (vLLM, TGI), streamed as server-sent events."""

from __future__ import annotations

import json
import threading
from collections.abc import Generator
from pathlib import Path

import httpx

from chatbot.llm.base import GenerationParams, LLMBackend, LLMUnavailable, ReplyRequest
from chatbot.llm.prompts import build_messages

HEALTH_TIMEOUT = 2.0


def delta_text(line: str) -> str | None:
    """The text in one SSE line: "" for lines without any, None at `data: [DONE]`."""
    if not line.startswith("data:"):
        return ""
    data = line[len("data:") :].strip()
    if data == "[DONE]":
        return None
    try:
        choices = json.loads(data)["choices"]
        delta = choices[0].get("delta") or {} if choices else {}
        return delta.get("content") or ""
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise LLMUnavailable(f"malformed stream event: {data[:200]!r}") from error


def adapter_name(path: str) -> str:
    """The name a server knows a LoRA adapter by: `concierge-run-7` for TRAINING_DIR/run-7/adapter.

    Start vLLM with `--lora-modules concierge-run-7=<that folder>` (LLM_OPENAI_ADAPTERS=named), or let the
    chat load it at runtime (LLM_OPENAI_ADAPTERS=load)."""
    folder = Path(path)
    return "concierge-" + (folder.parent.name if folder.name == "adapter" else folder.name)


_loaded_adapters: set[tuple[str, str]] = set()  # (server, adapter name) this process has loaded
_loading = threading.Lock()


class OpenAIBackend(LLMBackend):
    """`adapter`: the promoted version's LoRA folder, requested by its adapter_name instead of `model`;
    `load_adapter`: ask the server to load it first (vLLM's /v1/load_lora_adapter), once per process."""

    name = "openai"

    def __init__(
        self, url: str, model: str, api_key: str, timeout: float, *, adapter: str = "", load_adapter: bool = False
    ) -> None:
        self.url = url.rstrip("/")
        self.endpoint = self.url + "/chat/completions"
        self.model = adapter_name(adapter) if adapter else model
        self.adapter = adapter
        self.load_adapter = load_adapter and bool(adapter)
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.timeout = timeout

    def _adapter_loaded(self) -> None:
        key = (self.url, self.model)
        with _loading:
            if key in _loaded_adapters:
                return
            body = {"lora_name": self.model, "lora_path": self.adapter}
            try:
                response = httpx.post(
                    self.url + "/load_lora_adapter", json=body, headers=self.headers, timeout=self.timeout
                )
            except httpx.HTTPError as error:
                raise LLMUnavailable(f"{self.url}: cannot load adapter {self.model}: {error}") from error
            if response.status_code >= 400 and "already" not in response.text:  # loaded by another process
                raise LLMUnavailable(f"{self.url}: cannot load adapter {self.model}: {response.text[:200]}")
            _loaded_adapters.add(key)

    def payload(self, request: ReplyRequest, params: GenerationParams) -> dict:
        # top_k and repetition_penalty are not OpenAI fields; vLLM reads them as extra sampling parameters.
        return {
            "model": self.model,
            "messages": build_messages(request),
            "stream": True,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "max_tokens": params.max_new_tokens,
            "top_k": params.top_k if params.top_k > 0 else -1,
            "repetition_penalty": params.repetition_penalty,
        }

    def health(self) -> str:
        try:
            response = httpx.get(self.url + "/models", headers=self.headers, timeout=HEALTH_TIMEOUT)
            response.raise_for_status()
        except httpx.HTTPError as error:
            raise LLMUnavailable(f"{self.url}: {error}") from error
        return f"server at {self.url}"

    def stream(self, request: ReplyRequest, params: GenerationParams) -> Generator[str, None, None]:
        if self.load_adapter:
            self._adapter_loaded()
        try:
            with httpx.stream(
                "POST", self.endpoint, json=self.payload(request, params), headers=self.headers, timeout=self.timeout
            ) as response:
                response.raise_for_status()
                for line in response.iter_lines():
                    text = delta_text(line)
                    if text is None:
                        return
                    if text:
                        yield text
        except httpx.HTTPError as error:
            raise LLMUnavailable(f"{self.endpoint}: {error}") from error

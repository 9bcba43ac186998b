"""Serve the reply model over an OpenAI-compatible API with llama.cpp, for make prod's web workers.

The web processes then never load a model (LLM_BACKEND=openai, LLM_OPENAI_URL): one server holds it, and
llama.cpp runs the packaged GGUF directly. The process becomes the server (exec), so signals reach it.
"""

from __future__ import annotations

import importlib.util
import os
import sys

from django.core.management.base import BaseCommand, CommandError

from chatbot.llm.transformers_backend import packaged_gguf

INSTALL = "pip install 'llama-cpp-python[server]==0.3.36' (it compiles llama.cpp: a C compiler and cmake, ~10 min)"


def server_command(*, model: str, host: str, port: int, threads: int, alias: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        model,
        "--model_alias",
        alias,
        "--host",
        host,
        "--port",
        str(port),
        "--n_ctx",
        "2048",
        "--n_threads",
        str(threads),
        "--n_threads_batch",
        str(threads),
        "--verbose",
        "False",
        "--interrupt_requests",
        "False",  # requests queue for the one model instead of cancelling each other
    ]


class Command(BaseCommand):
    help = "Serve the packaged GGUF (or --model) over an OpenAI-compatible API with llama.cpp's server."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--model", default="", help="A GGUF file (default: the packaged SmolLM2).")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8002)
        parser.add_argument("--threads", type=int, default=1, help="CPU threads (leave the rest to the web).")
        parser.add_argument("--alias", default="concierge", help="The model name clients ask for.")

    def handle(self, *args, model: str, host: str, port: int, threads: int, alias: str, **options) -> None:
        if importlib.util.find_spec("llama_cpp") is None:
            raise CommandError(f"llama.cpp's Python server is not installed: {INSTALL}")
        try:
            path = model or str(packaged_gguf())
        except FileNotFoundError as error:
            raise CommandError(str(error)) from error
        command = server_command(model=path, host=host, port=port, threads=threads, alias=alias)
        self.stdout.write(f"serving {path} as {alias!r} on http://{host}:{port}/v1", ending="\n")
        self.stdout.flush()
        env = {key: value for key, value in os.environ.items() if key not in {"HOST", "PORT", "MODEL"}}
        os.execve(sys.executable, command, env)  # llama_cpp.server reads HOST/PORT/MODEL from the environment too

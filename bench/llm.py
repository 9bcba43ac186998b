"""Reply-model cost on this machine: SmolLM2 load time (GGUF conversion vs the safetensors cache),
prefill and decode tokens/s in fp32, and how soon a grounded three-card reply shows its first words:
the prompt's prefill as the baseline, then the first token from the backend and the first text through
the runner (grounded decoding streams every token as it comes), in the same run.

Usage: python bench/llm.py [--repeats 3]
What the model writes on real needs, and how much of it is grounded: bench/replies.py.
The conversion is timed into a scratch folder, removed afterwards; the rest loads from LLM_CACHE_DIR
(converting once if it is empty). Other work on the machine skews every figure: the load average is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import REPO

sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("LLM_TIMEOUT", "600")  # measure the model, not the chat's patience

import django  # noqa: E402

django.setup()

import torch  # noqa: E402

from chatbot.llm.base import CardFact, GenerationParams, ReplyRequest  # noqa: E402
from chatbot.llm.prompts import build_messages  # noqa: E402
from chatbot.llm.runner import stream_reply  # noqa: E402
from chatbot.llm.transformers_backend import (  # noqa: E402
    SMOLLM2_CACHE,
    TransformersBackend,
    load_model,
    smollm2_checkpoint,
)

REQUEST = ReplyRequest(
    kind="recommend",
    need="block ads and trackers on youtube",
    cards=(
        CardFact(
            "ublock-origin",
            "uBlock Origin",
            "Finally, an efficient wide-spectrum content blocker. Easy on CPU and memory.",
            ("Privacy & Security",),
            4.8,
            9_800_000,
            "Works on YouTube · free · 4.8★",
        ),
        CardFact(
            "ghostery",
            "Ghostery Tracker & Ad Blocker",
            "Ghostery is a powerful privacy extension that blocks ads and stops trackers.",
            ("Privacy & Security",),
            4.6,
            1_500_000,
            "free · 4.6★",
        ),
        CardFact(
            "enhancer-for-youtube",
            "Enhancer for YouTube",
            "Tons of features to improve your user experience on YouTube.",
            ("Photos, Music & Videos",),
            4.7,
            700_000,
            "Works on YouTube · free · 4.7★",
        ),
    ),
)


def seconds(since: float) -> str:
    return f"{time.perf_counter() - since:.2f} s"


def loads() -> None:
    scratch = Path(tempfile.mkdtemp(prefix="concierge-llm-bench-"))
    try:
        started = time.perf_counter()
        smollm2_checkpoint(scratch)
        print(f"first load, GGUF -> safetensors conversion: {seconds(started)}")
        started = time.perf_counter()
        load_model(str(scratch / SMOLLM2_CACHE), "", False, "cpu")
        print(f"later loads, from the safetensors cache:    {seconds(started)}")
    finally:
        shutil.rmtree(scratch)


def throughput(repeats: int) -> None:
    """Prefill and decode speed per torch thread count: on a shared 2-core machine one thread can beat two."""
    model, tokenizer = load_model("", "", False, "cpu")
    inputs = tokenizer.apply_chat_template(
        build_messages(REQUEST), add_generation_prompt=True, return_tensors="pt", return_dict=True
    )
    prompt_tokens = inputs["input_ids"].shape[1]
    new_tokens = 32
    default_threads = torch.get_num_threads()
    print(f"prompt: {prompt_tokens} tokens (3 cards)")
    for threads in sorted({1, default_threads}):
        torch.set_num_threads(threads)
        prefill, total = [], []
        with torch.inference_mode():
            model.generate(**inputs, max_new_tokens=2, do_sample=False, pad_token_id=tokenizer.eos_token_id)
            for _ in range(repeats):
                started = time.perf_counter()
                model(**inputs, logits_to_keep=1)  # as generate() prefills: logits for the last position only
                prefill.append(time.perf_counter() - started)
                started = time.perf_counter()
                model.generate(
                    **inputs,
                    max_new_tokens=new_tokens,
                    min_new_tokens=new_tokens,
                    do_sample=False,
                    pad_token_id=tokenizer.eos_token_id,
                )
                total.append(time.perf_counter() - started)
        prefill_s, total_s = statistics.median(prefill), statistics.median(total)
        print(
            f"torch threads {threads}: prefill {prompt_tokens / prefill_s:.0f} tokens/s ({prefill_s * 1000:.0f} ms), "
            f"decode {new_tokens / (total_s - prefill_s):.1f} tokens/s (load average {os.getloadavg()[0]:.1f})"
        )
    torch.set_num_threads(default_threads)


def first_tokens(repeats: int) -> None:
    """First words against the prefill they cannot beat: streaming adds what is over it."""
    backend = TransformersBackend("", "", False, "cpu")
    model, tokenizer = backend.loaded()
    params = GenerationParams.from_settings()
    inputs = tokenizer.apply_chat_template(
        build_messages(REQUEST), add_generation_prompt=True, return_tensors="pt", return_dict=True
    )
    prefill_ms, backend_ms, runner_ms, totals = [], [], [], []
    final = None
    for _ in range(repeats):
        with torch.inference_mode():
            started = time.perf_counter()
            model(**inputs, logits_to_keep=1)
            prefill_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        stream = backend.stream(REQUEST, params)
        next(stream)
        backend_ms.append((time.perf_counter() - started) * 1000)
        stream.close()
        final = asyncio.run(_runner_reply(backend, params))
        runner_ms.append(final.first_token_ms)
        totals.append(final.total_ms)
    prefill, first = statistics.median(prefill_ms), statistics.median(backend_ms)
    print(f"with {torch.get_num_threads()} torch threads, median of {repeats}:")
    print(f"prefill of the prompt ({inputs['input_ids'].shape[1]} tokens), the baseline: {prefill:.0f} ms")
    print(f"time to first token, backend:  {first:.0f} ms (prefill + {first - prefill:.0f} ms)")
    print(f"time to first text, runner:    {statistics.median(runner_ms):.0f} ms "
          f"(prefill + {statistics.median(runner_ms) - prefill:.0f} ms)")  # fmt: skip
    print(f"whole reply: {statistics.median(totals):.0f} ms; {final.backend}: {final.full_text!r}")


async def _runner_reply(backend: TransformersBackend, params: GenerationParams):
    names = [card.name for card in REQUEST.cards] + ["AdBlock Plus", "Privacy Badger", "Honey"]
    async for event in stream_reply(REQUEST, params, catalogue_names=names, backend=backend):
        if event.final:
            return event
    raise RuntimeError("stream_reply ended without its final event")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    loads()
    throughput(args.repeats)
    first_tokens(args.repeats)


if __name__ == "__main__":
    main()

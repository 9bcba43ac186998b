"""Reply-model cost on this machine: SmolLM2 load time (GGUF conversion vs the safetensors cache),
prefill and decode tokens/s in fp32, and time to first token for a grounded three-card prompt, both
from the backend and through the runner (which waits for a whole, guarded sentence).

Usage: python bench/llm.py [--repeats 3] [--only guard]
`--only guard` prints just the share of replies the ReplyGuard lets through (else the template answers)
for a spread of requests, and every reply, so a prompt change can be judged on what the model writes.
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
from django.conf import settings  # noqa: E402

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
            'Matched tags: "ads"',
        ),
        CardFact(
            "ghostery",
            "Ghostery Tracker & Ad Blocker",
            "Ghostery is a powerful privacy extension that blocks ads and stops trackers.",
            ("Privacy & Security",),
            4.6,
            1_500_000,
            'Matched description: "ads", "trackers"',
        ),
        CardFact(
            "enhancer-for-youtube",
            "Enhancer for YouTube",
            "Tons of features to improve your user experience on YouTube.",
            ("Photos, Music & Videos",),
            4.7,
            700_000,
            'Matched name: "youtube"',
        ),
    ),
)


def _card(slug: str, name: str, summary: str, category: str, rating: float, users: int, reason: str) -> CardFact:
    return CardFact(slug, name, summary, (category,), rating, users, reason)


# A spread of needs and cards written for this bench (not from any evaluation set), one per reply kind.
GUARD_REQUESTS = (
    REQUEST,
    ReplyRequest(
        kind="recommend",
        need="translate a page into spanish",
        cards=(
            _card(
                "simple-translate",
                "Simple Translate",
                "Quickly translate selected or typed text on web pages.",
                "Language Support",
                4.5,
                200_000,
                'Matched name: "translate"',
            ),
            _card(
                "to-google-translate",
                "To Google Translate",
                "Translate or listen to the selected text with Google Translate.",
                "Language Support",
                4.4,
                300_000,
                "Close in meaning to your request",
            ),
        ),
    ),
    ReplyRequest(
        kind="recommend",
        need="save tabs for later",
        cards=(
            _card(
                "tab-session-manager",
                "Tab Session Manager",
                "Save and restore the state of windows and tabs.",
                "Tabs",
                4.6,
                150_000,
                'Matched description: "save", "tabs"',
            ),
            _card(
                "onetab",
                "OneTab",
                "Convert your tabs into a list to save memory.",
                "Tabs",
                4.3,
                250_000,
                'Matched description: "tabs"',
            ),
            _card(
                "toby",
                "Toby",
                "Organise tabs into collections you can open later.",
                "Tabs",
                4.1,
                40_000,
                "Close in meaning to your request",
            ),
        ),
    ),
    ReplyRequest(
        kind="more",
        need="dark mode for every website",
        cards=(
            _card(
                "darkreader",
                "Dark Reader",
                "Dark mode for every website. Take care of your eyes.",
                "Appearance",
                4.5,
                1_200_000,
                'Matched description: "dark mode"',
            ),
            _card(
                "midnight-lizard",
                "Midnight Lizard",
                "Color schemes, dark themes and night mode for any page.",
                "Appearance",
                4.2,
                30_000,
                "Close in meaning to your request",
            ),
        ),
    ),
    ReplyRequest(
        kind="recommend",
        need="download videos",
        cards=(
            _card(
                "video-downloadhelper",
                "Video DownloadHelper",
                "Download videos from the web.",
                "Download Management",
                4.2,
                900_000,
                'Matched name: "video", "download"',
            ),
        ),
    ),
    ReplyRequest(kind="question", need="something for my email", cards=(), question="Which site should it work on?"),
    ReplyRequest(kind="thanks", need="password manager", cards=()),
    ReplyRequest(kind="empty", need="knitting pattern calculator", cards=()),
)


def guard_pass() -> None:
    """Per request: what the model wrote, and whether the guarded reply is the model's or the template's."""
    backend = TransformersBackend("", "", False, "cpu")
    params = GenerationParams.from_settings()
    names = [card.name for request in GUARD_REQUESTS for card in request.cards] + CATALOGUE_SAMPLE
    requests = [request for request in GUARD_REQUESTS if request.kind in settings.LLM_REPLY_KINDS]
    passed = kept = 0
    for request in requests:
        raw = "".join(backend.stream(request, params))
        final = asyncio.run(_runner_reply(backend, params, request, names))
        passed += final.backend == backend.name
        kept += final.backend == backend.name and not final.corrected
        print(f"[{request.kind}] model: {raw.strip()!r}\n    sent ({final.backend}): {final.full_text!r}")
    total = len(requests)
    print(f"LLM_REPLY_KINDS {','.join(settings.LLM_REPLY_KINDS)}: {total} of {len(GUARD_REQUESTS)} requests")
    print(
        f"replies written by the model after the guard: {passed} of {total} ({passed / total:.0%}); "
        f"passed whole: {kept} of {total}"
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
    backend = TransformersBackend("", "", False, "cpu")
    params = GenerationParams.from_settings()
    backend_ms, runner_ms, totals = [], [], []
    text, fell_back = "", 0
    for _ in range(repeats):
        started = time.perf_counter()
        stream = backend.stream(REQUEST, params)
        next(stream)
        backend_ms.append((time.perf_counter() - started) * 1000)
        stream.close()
        final = asyncio.run(_runner_reply(backend, params))
        runner_ms.append(final.first_token_ms)
        totals.append(final.total_ms)
        text = final.full_text
        fell_back += final.fell_back
    print(f"with {torch.get_num_threads()} torch threads, median of {repeats}:")
    print(f"time to first token, backend:                      {statistics.median(backend_ms):.0f} ms")
    print(f"time to first guarded sentence, runner:            {statistics.median(runner_ms):.0f} ms")
    print(
        f"whole reply (temperature {params.temperature}, max {params.max_new_tokens} tokens): "
        f"{statistics.median(totals):.0f} ms"
    )
    print(f"template fallbacks (guard dropped everything): {fell_back} of {repeats}; last reply: {text!r}")


CATALOGUE_SAMPLE = ["AdBlock Plus", "Dark Reader", "Privacy Badger", "Google Translate", "Honey", "Grammarly"]


async def _runner_reply(
    backend: TransformersBackend,
    params: GenerationParams,
    request: ReplyRequest = REQUEST,
    names: list[str] | None = None,
):
    names = names or [card.name for card in REQUEST.cards] + CATALOGUE_SAMPLE
    async for event in stream_reply(request, params, catalogue_names=names, backend=backend):
        if event.final:
            return event


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--only", choices=["guard"])
    args = parser.parse_args()
    if args.only == "guard":
        guard_pass()
        return
    loads()
    throughput(args.repeats)
    first_tokens(args.repeats)
    guard_pass()


if __name__ == "__main__":
    main()

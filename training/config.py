"""Every hyperparameter of a training run: a profile sized for the machine, TRAINING_* settings over it,
per-run overrides (admin's form, `retrain` options) over those; saved with the run."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from django.conf import settings


class ConfigError(ValueError):
    """A hyperparameter that cannot train: unknown name, wrong type or out of range."""


SOURCES = ("catalogue", "conversations")


def cpu_has_bf16() -> bool:
    """Whether the CPU multiplies bfloat16 in hardware (AMX or AVX512-BF16); elsewhere it is emulated, slower
    than float32."""
    try:
        flags = Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return False
    return bool({"amx_bf16", "avx512_bf16"} & set(flags))


PROFILE_CHOICES = ("auto", "cpu", "gpu")
# Sized by bench/finetune.py. cpu: two cores, the packaged SmolLM2-135M in full precision (135M parameters
# need no quantising), training under bfloat16 autocast where the CPU has it (3.2 s against 6.6 in float32
# for one batch), a short run cut to an 11-minute training budget (CPUs differ: 4.6 to 7 s a step on two
# machines of the same kind) and a small fixed evaluation: under 15 minutes in all. gpu: QLoRA proper, 4-bit NF4
# weights and LoRA on every projection, for Llama-2-7B-chat or any Llama-family LLM_MODEL (README).
PROFILES: dict[str, dict[str, object]] = {
    "cpu": {
        "load_in_4bit": False,
        "lora_r": 16,
        "lora_alpha": 32,
        "lora_dropout": 0.05,
        "target_modules": ("q_proj", "k_proj", "v_proj", "o_proj"),
        "gradient_checkpointing": False,
        "bf16_autocast": cpu_has_bf16(),
        "max_seq_length": 640,
        "learning_rate": 1e-3,
        "epochs": 1,
        "max_steps": 150,
        "train_minutes": 11.0,
        "batch_size": 4,
        "grad_accumulation": 1,
        "warmup_steps": 10,
        "seed": 42,
        "validation_fraction": 0.1,
        "eval_examples": 16,
        "grounded_samples": 24,
        "sources": SOURCES,
        "merge": False,
    },
    "gpu": {
        "load_in_4bit": True,
        "lora_r": 16,
        "lora_alpha": 32,
        "lora_dropout": 0.05,
        "target_modules": ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"),
        "gradient_checkpointing": True,
        "bf16_autocast": True,  # Ampere or newer; TRAINING_BF16_AUTOCAST=0 on older cards
        "max_seq_length": 1024,
        "learning_rate": 2e-4,
        "epochs": 2,
        "max_steps": 0,
        "train_minutes": 0.0,
        "batch_size": 8,
        "grad_accumulation": 2,
        "warmup_steps": 20,
        "seed": 42,
        "validation_fraction": 0.1,
        "eval_examples": 128,
        "grounded_samples": 64,
        "sources": SOURCES,
        "merge": False,
    },
}


def machine_profile(profile: str, device: str) -> str:
    """`auto` is the GPU profile when the model runs on a CUDA device, the CPU profile otherwise."""
    if profile not in PROFILE_CHOICES:
        raise ConfigError(f"profile must be one of {', '.join(PROFILE_CHOICES)}, not {profile!r}")
    if profile != "auto":
        return profile
    return "gpu" if device.startswith("cuda") else "cpu"


@dataclass(frozen=True)
class TrainingConfig:
    profile: str  # cpu or gpu: where the values below not set by settings or the run come from
    base_model: str  # empty: the packaged SmolLM2-135M-Instruct
    device: str
    load_in_4bit: bool
    lora_r: int
    lora_alpha: int
    lora_dropout: float
    target_modules: tuple[str, ...]
    gradient_checkpointing: bool
    bf16_autocast: bool  # forward and backward in bfloat16, weights and optimizer in float32
    max_seq_length: int
    learning_rate: float
    epochs: int
    max_steps: int  # 0: the epochs decide
    train_minutes: float  # training stops at the step that fits this budget, at the pace measured; 0: no budget
    batch_size: int
    grad_accumulation: int
    warmup_steps: int
    seed: int
    validation_fraction: float
    eval_examples: int
    grounded_samples: int
    sources: tuple[str, ...]  # what the dataset is built from: catalogue, conversations
    merge: bool

    @classmethod
    def from_settings(cls, **overrides: object) -> TrainingConfig:
        """The profile (a `profile` override, else TRAINING_PROFILE), the TRAINING_* settings that are set
        over it, then the per-run overrides; ConfigError for anything that cannot train."""
        profile = machine_profile(str(overrides.pop("profile", settings.TRAINING_PROFILE)), settings.LLM_DEVICE)
        chosen = {name: PROFILES[profile][name] if value is None else value for name, value in cls._settings().items()}
        values: dict[str, Any] = {
            name: tuple(value) if isinstance(value, list) else value for name, value in chosen.items()
        }
        config = cls(profile=profile, base_model=settings.LLM_MODEL, device=settings.LLM_DEVICE, **values)
        return config.with_overrides(overrides)

    @staticmethod
    def _settings() -> dict[str, object]:
        return {
            "load_in_4bit": settings.TRAINING_LOAD_IN_4BIT,
            "lora_r": settings.TRAINING_LORA_R,
            "lora_alpha": settings.TRAINING_LORA_ALPHA,
            "lora_dropout": settings.TRAINING_LORA_DROPOUT,
            "target_modules": settings.TRAINING_TARGET_MODULES,
            "gradient_checkpointing": settings.TRAINING_GRADIENT_CHECKPOINTING,
            "bf16_autocast": settings.TRAINING_BF16_AUTOCAST,
            "max_seq_length": settings.TRAINING_MAX_SEQ_LENGTH,
            "learning_rate": settings.TRAINING_LEARNING_RATE,
            "epochs": settings.TRAINING_EPOCHS,
            "max_steps": settings.TRAINING_MAX_STEPS,
            "train_minutes": settings.TRAINING_TRAIN_MINUTES,
            "batch_size": settings.TRAINING_BATCH_SIZE,
            "grad_accumulation": settings.TRAINING_GRAD_ACCUMULATION,
            "warmup_steps": settings.TRAINING_WARMUP_STEPS,
            "seed": settings.TRAINING_SEED,
            "validation_fraction": settings.TRAINING_VALIDATION_FRACTION,
            "eval_examples": settings.TRAINING_EVAL_EXAMPLES,
            "grounded_samples": settings.TRAINING_GROUNDED_SAMPLES,
            "sources": settings.TRAINING_SOURCES,
            "merge": settings.TRAINING_MERGE,
        }

    @classmethod
    def from_dict(cls, values: dict) -> TrainingConfig:
        """A run's saved config (JSON lists back to tuples)."""
        values = dict(values)
        return cls.from_settings(profile=values.pop("profile", "auto")).with_overrides(values)

    def with_overrides(self, overrides: dict) -> TrainingConfig:
        known = {field.name for field in fields(self)}
        unknown = sorted(set(overrides) - set(known))
        if unknown:
            raise ConfigError(f"unknown training setting(s): {', '.join(unknown)}")
        values = {}
        for name, value in overrides.items():
            current = getattr(self, name)
            if isinstance(current, tuple):
                value = tuple(value.split(",")) if isinstance(value, str) else tuple(value)
            elif isinstance(current, bool):
                if not isinstance(value, bool):
                    raise ConfigError(f"{name} must be true or false, not {value!r}")
            elif isinstance(current, (int, float)):
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise ConfigError(f"{name} must be a number, not {value!r}")
                if isinstance(current, int) and value != int(value):
                    raise ConfigError(f"{name} must be a whole number, not {value!r}")
                value = type(current)(value)
            values[name] = value
        config = replace(self, **values)
        config.check()
        return config

    def check(self) -> None:
        positive = ["lora_r", "lora_alpha", "max_seq_length", "epochs", "batch_size", "grad_accumulation"]
        for name in positive:
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, not {getattr(self, name)}")
        for name in ["max_steps", "train_minutes", "warmup_steps", "eval_examples", "grounded_samples"]:
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must not be negative, not {getattr(self, name)}")
        if not 0 < self.learning_rate < 1:
            raise ConfigError(f"learning_rate must be between 0 and 1, not {self.learning_rate}")
        if not 0 <= self.lora_dropout < 1:
            raise ConfigError(f"lora_dropout must be in [0, 1), not {self.lora_dropout}")
        if not 0 < self.validation_fraction < 0.5:
            raise ConfigError(f"validation_fraction must be between 0 and 0.5, not {self.validation_fraction}")
        if not self.sources or not set(self.sources) <= set(SOURCES):
            raise ConfigError(f"sources must be some of {', '.join(SOURCES)}, not {', '.join(self.sources) or 'none'}")
        if not self.target_modules or not all(self.target_modules):
            raise ConfigError("target_modules must name at least one module, e.g. q_proj,k_proj,v_proj,o_proj")

    def total_steps(self, examples: int) -> int:
        """Optimizer steps for a training set of this many examples: max_steps, or whole epochs of it."""
        return self.max_steps or math.ceil(examples / (self.batch_size * self.grad_accumulation)) * self.epochs

    def as_dict(self) -> dict:
        values = asdict(self)
        values["target_modules"] = list(self.target_modules)
        values["sources"] = list(self.sources)
        return values

"""Every hyperparameter of a training run, from settings plus per-run overrides, saved with the run."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from django.conf import settings


class ConfigError(ValueError):
    """A hyperparameter that cannot train: unknown name, wrong type or out of range."""


@dataclass(frozen=True)
class TrainingConfig:
    base_model: str  # empty: the packaged SmolLM2-135M-Instruct
    device: str
    load_in_4bit: bool
    lora_r: int
    lora_alpha: int
    lora_dropout: float
    target_modules: tuple[str, ...]
    gradient_checkpointing: bool
    max_seq_length: int
    learning_rate: float
    epochs: int
    max_steps: int  # 0: the epochs decide
    batch_size: int
    grad_accumulation: int
    warmup_steps: int
    seed: int
    validation_fraction: float
    eval_examples: int
    grounded_samples: int
    merge: bool

    @classmethod
    def from_settings(cls, **overrides: object) -> TrainingConfig:
        """The deployment's defaults with per-run overrides; ConfigError for anything that cannot train."""
        config = cls(
            base_model=settings.LLM_MODEL,
            device=settings.LLM_DEVICE,
            load_in_4bit=settings.TRAINING_LOAD_IN_4BIT,
            lora_r=settings.TRAINING_LORA_R,
            lora_alpha=settings.TRAINING_LORA_ALPHA,
            lora_dropout=settings.TRAINING_LORA_DROPOUT,
            target_modules=tuple(settings.TRAINING_TARGET_MODULES),
            gradient_checkpointing=settings.TRAINING_GRADIENT_CHECKPOINTING,
            max_seq_length=settings.TRAINING_MAX_SEQ_LENGTH,
            learning_rate=settings.TRAINING_LEARNING_RATE,
            epochs=settings.TRAINING_EPOCHS,
            max_steps=settings.TRAINING_MAX_STEPS,
            batch_size=settings.TRAINING_BATCH_SIZE,
            grad_accumulation=settings.TRAINING_GRAD_ACCUMULATION,
            warmup_steps=settings.TRAINING_WARMUP_STEPS,
            seed=settings.TRAINING_SEED,
            validation_fraction=settings.TRAINING_VALIDATION_FRACTION,
            eval_examples=settings.TRAINING_EVAL_EXAMPLES,
            grounded_samples=settings.TRAINING_GROUNDED_SAMPLES,
            merge=settings.TRAINING_MERGE,
        )
        return config.with_overrides(overrides)

    @classmethod
    def from_dict(cls, values: dict) -> TrainingConfig:
        """A run's saved config (JSON lists back to tuples)."""
        return cls.from_settings().with_overrides(values)

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
        for name in ["max_steps", "warmup_steps", "eval_examples", "grounded_samples"]:
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must not be negative, not {getattr(self, name)}")
        if not 0 < self.learning_rate < 1:
            raise ConfigError(f"learning_rate must be between 0 and 1, not {self.learning_rate}")
        if not 0 <= self.lora_dropout < 1:
            raise ConfigError(f"lora_dropout must be in [0, 1), not {self.lora_dropout}")
        if not 0 < self.validation_fraction < 0.5:
            raise ConfigError(f"validation_fraction must be between 0 and 0.5, not {self.validation_fraction}")
        if not self.target_modules or not all(self.target_modules):
            raise ConfigError("target_modules must name at least one module, e.g. q_proj,k_proj,v_proj,o_proj")

    def as_dict(self) -> dict:
        values = asdict(self)
        values["target_modules"] = list(self.target_modules)
        return values

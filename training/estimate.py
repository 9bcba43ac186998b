"""How long a run will take, by phase, before it starts (admin's Retrain form) and while it runs (the ETA
of the phases not yet reached).

Per-profile costs, measured with bench/finetune.py on the machines each profile is for: the CPU figures on
2 cores with the packaged SmolLM2-135M in full precision; the GPU figures are what a 24 GB card is expected
to take for a 7B Llama in 4-bit NF4 (README, "Fine-tuning on a GPU"), not measured here.
"""

from __future__ import annotations

from dataclasses import dataclass

from training.config import TrainingConfig

EXAMPLES_PER_ADDON = 5  # need (x2), about, category, price: what the dataset writes per add-on


@dataclass(frozen=True)
class Costs:
    load: float  # seconds to load the base model and add the adapters
    per_example: float  # dataset: seconds per example written (templating and tokenising)
    per_token_trained: float  # seconds per sequence token in a float32 training step (forward and backward)
    per_answer: float  # evaluation: seconds per held-out answer generated
    per_loss_example: float  # evaluation: seconds per validation example in the loss
    save: float


BF16_SPEEDUP = 2.0  # measured on the CPU (AMX): 3.2 s against 6.6 s for one batch; tensor cores give as much or more
COSTS = {
    "cpu": Costs(load=3, per_example=0.001, per_token_trained=0.0077, per_answer=3.0, per_loss_example=0.15, save=1),
    "gpu": Costs(load=90, per_example=0.004, per_token_trained=0.0005, per_answer=0.25, per_loss_example=0.02, save=5),
}
MEAN_TOKENS = 300  # a training example's mean length in tokens (prompt and answer), capped by max_seq_length


def training_estimate(config: TrainingConfig, *, addons: int | None = None) -> dict[str, float]:
    """Expected seconds by phase (TrainingRun.Phase values) for this configuration."""
    from marketplace.models import Addon

    costs = COSTS[config.profile]
    count = Addon.objects.filter(is_active=True).count() if addons is None else addons
    examples = count * EXAMPLES_PER_ADDON
    train_examples = round(examples * (1 - config.validation_fraction))
    steps = config.total_steps(train_examples)
    tokens_per_step = config.batch_size * config.grad_accumulation * min(MEAN_TOKENS, config.max_seq_length)
    speedup = BF16_SPEEDUP if config.bf16_autocast else 1.0
    evaluation = config.grounded_samples * costs.per_answer + config.eval_examples * costs.per_loss_example
    return {
        "dataset": round(examples * costs.per_example, 1),
        "load": costs.load,
        "evaluate_before": round(evaluation, 1),
        "train": round(_capped(steps * tokens_per_step * costs.per_token_trained / speedup, config.train_minutes), 1),
        "evaluate_after": round(evaluation, 1),
        "save": costs.save,
    }


def _capped(seconds: float, budget_minutes: float) -> float:
    """Training stops within its time budget, if it has one (trainer.budgeted_steps)."""
    return min(seconds, budget_minutes * 60) if budget_minutes > 0 else seconds

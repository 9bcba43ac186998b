"""Training runs and model versions through the services, with a tiny random Llama standing in for SmolLM2
(the real QLoRA run is in test_commands.py): one live run, cancel, failures, promote and rollback."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.db import IntegrityError, transaction
from peft import LoraConfig, get_peft_model

from chatbot.llm import prompts, runner
from tests.training.conftest import random_llama
from training import dataset, services, trainer
from training.config import PROFILES, ConfigError, TrainingConfig
from training.models import ModelVersion, TrainingRun

FAST = {
    "max_steps": 4,
    "batch_size": 2,
    "grad_accumulation": 1,
    "max_seq_length": 256,
    "learning_rate": 3e-2,
    "warmup_steps": 0,
    "eval_examples": 4,
    "grounded_samples": 1,
    "validation_fraction": 0.3,
    "seed": 5,
}


@pytest.fixture
def tiny_model(monkeypatch):
    """A one-layer random Llama with LoRA on q/k/v/o, and the real SmolLM2 tokenizer."""

    def load(config: TrainingConfig):
        tokenizer = trainer.load_tokenizer(config.base_model)
        base = random_llama(len(tokenizer), hidden=16, layers=1, heads=2)
        lora = LoraConfig(
            r=config.lora_r,
            lora_alpha=config.lora_alpha,
            target_modules=list(config.target_modules),
            task_type="CAUSAL_LM",
        )
        return get_peft_model(base, lora), tokenizer

    monkeypatch.setattr(trainer, "load_for_training", load)


def fake_version(tmp_path, number: int, **fields) -> ModelVersion:
    adapter = tmp_path / f"adapter-{number}"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text("{}")
    return ModelVersion.objects.create(number=number, adapter_path=str(adapter), **fields)


def test_config_comes_from_settings_with_checked_overrides(settings):
    settings.TRAINING_LORA_R, settings.TRAINING_TARGET_MODULES = 16, ["q_proj", "v_proj"]
    config = TrainingConfig.from_settings(max_steps=7, target_modules="q_proj,k_proj")
    assert (config.lora_r, config.max_steps, config.target_modules) == (16, 7, ("q_proj", "k_proj"))
    assert TrainingConfig.from_dict(config.as_dict()) == config
    for bad in (
        {"max_steps": -1},
        {"learning_rate": 2},
        {"batch_size": 1.5},
        {"lora_r": "8"},
        {"epochs": 0},
        {"load_in_4bit": "yes"},
        {"optimizer": "sgd"},
        {"target_modules": ""},
    ):
        with pytest.raises(ConfigError):
            TrainingConfig.from_settings(**bad)


def test_the_profile_follows_the_device_and_settings_override_it(settings):
    settings.LLM_DEVICE, settings.TRAINING_PROFILE = "cpu", "auto"
    cpu = TrainingConfig.from_settings()
    assert cpu.profile == "cpu" and not cpu.load_in_4bit and cpu.max_steps == PROFILES["cpu"]["max_steps"]
    settings.LLM_DEVICE = "cuda:0"
    gpu = TrainingConfig.from_settings()
    assert gpu.profile == "gpu" and gpu.load_in_4bit and "down_proj" in gpu.target_modules
    settings.TRAINING_LOAD_IN_4BIT, settings.TRAINING_MAX_STEPS = False, 12  # set in the environment: they win
    overridden = TrainingConfig.from_settings(profile="gpu", sources="catalogue")
    assert (overridden.load_in_4bit, overridden.max_steps, overridden.sources) == (False, 12, ("catalogue",))
    assert TrainingConfig.from_dict(overridden.as_dict()) == overridden
    with pytest.raises(ConfigError, match="profile must be one of"):
        TrainingConfig.from_settings(profile="tpu")
    with pytest.raises(ConfigError, match="sources must be some of"):
        TrainingConfig.from_settings(sources="forums")


def test_one_training_job_at_a_time(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as enqueued:
        first = services.training_run_start(overrides={"max_steps": 2})
    assert len(enqueued) == 1 and first.config["max_steps"] == 2
    with pytest.raises(services.TrainingBusy, match=f"#{first.pk} is still pending"):
        services.training_run_start()
    with pytest.raises(IntegrityError), transaction.atomic():  # the database holds the rule too
        TrainingRun.objects.create(status=TrainingRun.Status.RUNNING)
    assert TrainingRun.objects.count() == 1


def test_a_pending_run_cancelled_never_runs(db, tiny_model):
    run = services.training_run_start()
    run = services.training_run_cancel(run_id=run.pk)
    assert run.status == TrainingRun.Status.CANCELLED and run.finished_at
    assert services.training_run_execute(run_id=run.pk).status == TrainingRun.Status.CANCELLED
    with pytest.raises(services.TrainingRunError, match="already cancelled"):
        services.training_run_cancel(run_id=run.pk)
    assert services.training_run_start().status == TrainingRun.Status.PENDING  # the slot is free again


def test_a_run_trains_and_adds_a_ready_version_without_serving_it(catalogue, tiny_model, tmp_path, settings):
    active = fake_version(tmp_path, 1, status=ModelVersion.Status.ACTIVE)
    run = services.training_run_execute(run_id=services.training_run_start(overrides=FAST).pk)
    assert run.status == TrainingRun.Status.SUCCEEDED, run.log
    assert (run.step, run.total_steps, len(run.loss_history), run.eta_seconds) == (4, 4, 4, None)
    assert {"before", "after", "training"} <= set(run.metrics)
    assert set(run.phase_seconds) == set(run.estimate_seconds) == set(TrainingRun.Phase.values)
    assert run.phase == "" and run.heartbeat_at is not None
    for side in ("before", "after"):
        grounded = run.metrics[side]["grounded"]
        assert grounded["samples"] == 1 and 0 <= grounded["supported_sentences"] <= grounded["sentences"]
        assert grounded["invented"] >= 0 and grounded["mean_words"] is not None
    assert run.metrics["after"]["validation_loss"] < run.metrics["before"]["validation_loss"]
    held_out = run.metrics["before"]["grounded"]["answers"]
    validation = {
        row["need"]
        for row in dataset.read_jsonl(settings.TRAINING_DIR / f"run-{run.pk}" / "dataset" / "validation.jsonl")
    }
    # Each held-out sample asks a held-out need, not the prompt's worked example.
    assert held_out and all(sample["need"] in validation for sample in held_out)
    assert not any(sample["need"] in prompts.EXAMPLE[0] for sample in held_out)
    version = run.model_version
    assert (version.number, version.status, version.base_model) == (2, ModelVersion.Status.READY, "")
    assert version.adapter_path == str(settings.TRAINING_DIR / f"run-{run.pk}" / "adapter")
    active.refresh_from_db()
    assert active.status == ModelVersion.Status.ACTIVE  # a new version waits for promotion


def test_evaluating_a_version_again_reports_progress_then_its_figures(catalogue, tiny_model, monkeypatch):
    run = services.training_run_execute(run_id=services.training_run_start(overrides=FAST).pk)
    version = run.model_version
    model, tokenizer = trainer.load_for_training(TrainingConfig.from_dict(run.config))
    monkeypatch.setattr("chatbot.llm.transformers_backend.load_model", lambda *args: (model, tokenizer))
    marks: list[dict] = []
    mark = services._evaluation_mark
    monkeypatch.setattr(services, "_evaluation_mark", lambda pk, value: (marks.append(value), mark(pk, value)))
    version = services.model_version_evaluate(version_id=version.pk)
    assert [item["status"] for item in marks] == ["running", "running", "succeeded"]
    assert marks[1]["done"] == marks[1]["total"] == 1  # one held-out need (FAST), answered
    evaluation = version.metrics["evaluation"]
    assert evaluation["grounded"]["samples"] == 1 and evaluation["validation_loss"] is not None


def test_cancel_stops_a_running_run_between_steps(catalogue, tiny_model, tmp_path, monkeypatch):
    active = fake_version(tmp_path, 1, status=ModelVersion.Status.ACTIVE)
    run = services.training_run_start(overrides=FAST)
    report_step = services._Progress.__call__

    def cancel_at_step_two(progress, report):
        if report.step == 2:
            assert services.training_run_cancel(run_id=run.pk).status == TrainingRun.Status.RUNNING
        return report_step(progress, report)

    monkeypatch.setattr(services._Progress, "__call__", cancel_at_step_two)
    run = services.training_run_execute(run_id=run.pk)
    assert run.status == TrainingRun.Status.CANCELLED and run.step == 2
    assert "cancelled after step 2 of 4" in run.log
    assert not ModelVersion.objects.exclude(pk=active.pk).exists()
    assert runner.active_model() == ("", active.adapter_path)


def test_a_run_silent_for_too_long_is_flagged_stalled_even_without_a_heartbeat(db):
    from datetime import timedelta

    from django.utils import timezone

    from training.selectors import training_run_progress_text

    started = timezone.now() - timedelta(seconds=TrainingRun.STALLED_AFTER_SECONDS + 60)
    run = TrainingRun.objects.create(status=TrainingRun.Status.RUNNING, phase="load", started_at=started)
    assert run.is_stalled and f"STALLED: no progress since {started:%H:%M:%S}" in training_run_progress_text(run)


def test_cancelling_twice_frees_a_run_whose_worker_is_gone(db):
    run = TrainingRun.objects.create(status=TrainingRun.Status.RUNNING)
    assert services.training_run_cancel(run_id=run.pk).status == TrainingRun.Status.RUNNING
    assert services.training_run_cancel(run_id=run.pk).status == TrainingRun.Status.CANCELLED


def test_a_failing_run_leaves_the_active_model(catalogue, tmp_path):
    active = fake_version(tmp_path, 1, status=ModelVersion.Status.ACTIVE)
    run = services.training_run_start(overrides={"base_model": str(tmp_path / "no-such-model")})
    run = services.training_run_execute(run_id=run.pk)
    assert run.status == TrainingRun.Status.FAILED and run.finished_at
    assert "no-such-model" in run.error and "Traceback" in run.log
    assert list(ModelVersion.objects.values_list("number", "status")) == [(1, "active")]
    assert runner.active_model() == ("", active.adapter_path)


def test_promote_and_rollback_walk_back_through_versions(db, tmp_path, settings):
    settings.LLM_MODEL, settings.LLM_ADAPTER = "", ""
    first, second = fake_version(tmp_path, 1), fake_version(tmp_path, 2)
    assert runner.active_model() == ("", "")
    services.model_version_promote(version_id=first.pk)
    assert runner.active_model() == ("", first.adapter_path)  # no restart, no waiting for the cache
    services.model_version_promote(version_id=second.pk)
    assert runner.active_model() == ("", second.adapter_path)
    second.refresh_from_db()
    assert second.previous == first and second.promoted_at
    assert services.model_version_rollback() == first
    assert runner.active_model() == ("", first.adapter_path)
    assert services.model_version_rollback() is None
    assert runner.active_model() == ("", "")
    with pytest.raises(services.VersionError, match="base model already serves"):
        services.model_version_rollback()
    assert set(ModelVersion.objects.values_list("status", flat=True)) == {"retired"}


def scored(rate: float, supported: float = 0.9, invented: int = 0) -> dict:
    return {"grounded": {"rate": rate, "supported_rate": supported, "invented": invented}}


def test_a_version_scoring_worse_than_what_serves_needs_force_and_a_reason(db, tmp_path):
    base_beaten = fake_version(tmp_path, 1, metrics={"before": scored(0.2), "after": scored(0.5)})
    services.model_version_promote(version_id=base_beaten.pk)  # better than the base model: no question
    worse = fake_version(tmp_path, 2, metrics={"before": scored(0.2), "after": scored(0.6, invented=2)})
    with pytest.raises(services.PromotionRefused, match="invented add-ons 2.00 against 0.00") as refused:
        services.model_version_promote(version_id=worse.pk)
    assert refused.value.worse == ["invented add-ons 2.00 against 0.00"]
    with pytest.raises(services.VersionError, match="say why"):
        services.model_version_promote(version_id=worse.pk, force=True)
    assert runner.active_model()[1] == base_beaten.adapter_path
    from django.core.management import call_command

    call_command("promote", "v2", "--force", "--reason", "names more add-ons right")
    worse.refresh_from_db()
    assert worse.status == ModelVersion.Status.ACTIVE
    assert worse.promotion_override == "names more add-ons right (scored worse: invented add-ons 2.00 against 0.00)"
    below_base = fake_version(tmp_path, 3, metrics={"before": scored(0.2), "after": scored(0.1)})
    services.model_version_rollback()
    services.model_version_rollback()  # the base model serves: compared with the run's "before"
    with pytest.raises(services.PromotionRefused, match="names the right add-on 0.10 against 0.20"):
        services.model_version_promote(version_id=below_base.pk)


def test_promote_refuses_a_version_without_its_adapter(db, tmp_path):
    version = ModelVersion.objects.create(number=1, adapter_path=str(tmp_path / "gone"))
    with pytest.raises(services.VersionError, match="no adapter"):
        services.model_version_promote(version_id=version.pk)
    assert runner.active_model()[1] == ""


def test_only_one_version_is_active_in_the_database(db, tmp_path):
    fake_version(tmp_path, 1, status=ModelVersion.Status.ACTIVE)
    with pytest.raises(IntegrityError):
        fake_version(tmp_path, 2, status=ModelVersion.Status.ACTIVE)


def test_an_adapter_pinned_by_settings_wins_over_promotion(db, tmp_path, settings):
    version = fake_version(tmp_path, 1)
    services.model_version_promote(version_id=version.pk)
    settings.LLM_ADAPTER = "/deploy/adapter"
    assert runner.active_model() == (settings.LLM_MODEL, "/deploy/adapter")


def test_other_processes_see_a_promotion_within_the_ttl(db, tmp_path, settings):
    from training.selectors import model_version_serving

    settings.TRAINING_ACTIVE_VERSION_TTL = 0  # as if the cached lookup expired
    version = fake_version(tmp_path, 1)
    assert model_version_serving() is None
    ModelVersion.objects.filter(pk=version.pk).update(status=ModelVersion.Status.ACTIVE)  # e.g. by a worker
    assert model_version_serving() == ("", version.adapter_path)


def test_retrain_takes_the_profile_steps_and_sources_it_is_given(db, sent, django_capture_on_commit_callbacks):
    from django.core.management import call_command

    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "retrain", "--profile", "gpu", "--max-steps", "7", "--train-minutes", "30", "--sources", "catalogue"
        )
    run = TrainingRun.objects.get()
    assert (run.config["profile"], run.config["max_steps"], run.config["sources"]) == ("gpu", 7, ["catalogue"])
    assert run.config["train_minutes"] == 30.0
    assert sent == [("training.tasks.training_run_execute", (run.pk,))]


def test_retrain_and_promote_commands_refuse_clearly(db, tmp_path):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="max_steps must not be negative"):
        call_command("retrain", "--max-steps", "-1")
    with pytest.raises(CommandError, match="train_minutes must not be negative"):
        call_command("retrain", "--train-minutes", "-5")
    TrainingRun.objects.create(status=TrainingRun.Status.RUNNING)
    with pytest.raises(CommandError, match="is still running"):
        call_command("retrain", "--max-steps", "2")
    with pytest.raises(CommandError, match="not a version label|no model version"):
        call_command("promote", "latest")
    ModelVersion.objects.create(number=3, adapter_path=str(tmp_path / "gone"))
    with pytest.raises(CommandError, match="no adapter"):
        call_command("promote", "3")
    assert TrainingRun.objects.count() == 1


@pytest.mark.parametrize(("configured", "steps", "expected"), [(10, 3, 0), (10, 65, 6), (10, 400, 10), (0, 50, 0)])
def test_warmup_never_exceeds_a_tenth_of_the_run(configured, steps, expected):
    assert trainer.warmup_steps(configured, steps) == expected


@pytest.mark.parametrize(
    ("elapsed", "pace", "budget", "expected"),
    [(6.0, 2.0, 60.0, 30), (6.0, 2.0, 600.0, 150), (6.0, 2.0, 0.0, 150), (70.0, 2.0, 60.0, 3)],
)
def test_a_time_budget_takes_the_steps_that_fit_at_the_measured_pace(elapsed, pace, budget, expected):
    # 3 steps done in `elapsed` s; (60 - 6) / 2 = 27 more fit; a budget already spent stops at the steps done
    assert trainer.budgeted_steps(150, done=3, elapsed=elapsed, step_seconds=pace, budget=budget) == expected


def test_the_estimate_of_training_is_capped_by_the_time_budget():
    from training.estimate import training_estimate

    long = TrainingConfig.from_settings(profile="cpu", max_steps=10_000, train_minutes=0.0)
    budgeted = long.with_overrides({"train_minutes": 5.0})
    assert training_estimate(long, addons=100)["train"] > 300 == training_estimate(budgeted, addons=100)["train"]


def test_a_run_over_its_time_budget_stops_after_the_steps_that_set_its_pace(catalogue, tiny_model):
    run = services.training_run_execute(
        run_id=services.training_run_start(overrides={**FAST, "max_steps": 40, "train_minutes": 1e-6}).pk
    )
    assert run.status == TrainingRun.Status.SUCCEEDED, run.log
    assert run.metrics["training"]["steps"] == trainer.PACE_STEPS == run.total_steps
    assert f"{trainer.PACE_STEPS} of 40 steps fit the time budget" in run.log
    assert f"step {trainer.PACE_STEPS}/{trainer.PACE_STEPS} " in run.log


def test_steps_that_slow_down_shorten_the_run_again_so_it_ends_within_its_budget(catalogue, tiny_model, monkeypatch):
    """The trainer reads its clock once at the start and once after each step: steps 1-3 take 1 s, later ones
    3 s. At step 3 the pace says 30 steps fit 30 s; measured on, the run ends at step 12, 30 s in."""
    ends = iter([0.0, *(float(second) for second in range(1, 4)), *(3.0 + 3 * step for step in range(1, 100))])
    monkeypatch.setattr(trainer, "time", SimpleNamespace(perf_counter=lambda: next(ends)))
    run = services.training_run_execute(
        run_id=services.training_run_start(overrides={**FAST, "max_steps": 40, "train_minutes": 0.5}).pk
    )
    assert run.status == TrainingRun.Status.SUCCEEDED, run.log
    assert run.metrics["training"]["steps"] == 12 == run.total_steps
    assert "30 of 40 steps fit the time budget" in run.log  # the pace of steps 2 and 3
    assert "12 of 40 steps fit the time budget" in run.log and "step 12/12 " in run.log


def test_no_step_trains_at_rate_zero_and_the_warmup_rises_then_the_rate_decays():
    factors = [trainer.rate_factor(step, warmup=6, steps=60) for step in range(1, 61)]
    assert all(factor > 0 for factor in factors)
    assert factors[:7] == sorted(factors[:7]) and factors[6:] == sorted(factors[6:], reverse=True)
    assert factors[5] < 1 and factors[6] == 1 and max(factors) == 1  # the first step after warmup: the full rate


def test_a_loss_that_blows_up_is_diverged_and_noise_is_not():
    assert not trainer.diverged([1.2, 1.1, 1.3, 0.9, 1.0, 1.4, 1.2, 0.8, 1.5, 1.1])
    assert trainer.diverged([1.2, 1.2, 1.1, 1.3, 1.2, 3.5, 4.8, 3.7, 7.9, 9.3])
    assert trainer.diverged([1.2, float("nan")]) and not trainer.diverged([1.2, 9.0])  # too early to say


def test_a_diverging_run_fails_with_the_reason_and_makes_no_version(catalogue, tiny_model, monkeypatch):
    monkeypatch.setattr(trainer, "diverged", lambda losses: len(losses) == 3)  # as if the loss blew up at step 3
    run = services.training_run_execute(run_id=services.training_run_start(overrides=FAST).pk)
    assert run.status == TrainingRun.Status.FAILED and "learning rate (0.03) is too high" in run.error
    assert "stopped: the loss went from" in run.log and not ModelVersion.objects.exists()


def test_a_short_run_learns_from_its_first_step(catalogue, tiny_model):
    """A 3-step run with the default warmup of 10 steps trains at the full rate at once, not at 0."""
    run = services.training_run_execute(
        run_id=services.training_run_start(overrides={**FAST, "max_steps": 3, "warmup_steps": 10}).pk
    )
    assert run.status == TrainingRun.Status.SUCCEEDED, run.log
    assert "step 1/3" in run.log and "lr 3.00e-02" in run.log

"""Admin: Retrain, Evaluate and Rebuild index enqueue Celery tasks, Cancel, Promote and Roll back act at
once, for staff only; runs show progress, metrics and a loss curve."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import timezone

from training.models import ModelVersion, TrainingRun


@pytest.fixture
def staff(client, db):
    user = User.objects.create_superuser("admin", "admin@example.org", "pw")
    client.force_login(user)
    return client


@pytest.fixture
def visitor_client(client, db):
    client.force_login(User.objects.create_user("visitor", "v@example.org", "pw"))
    return client


def post(client, name, *args, execute=True, capture=None, **data):
    with capture(execute=execute):
        return client.post(reverse(name, args=args), data)


def messages_of(response) -> str:
    return " ".join(str(message) for message in response.wsgi_request._messages)


CHOICES = {"profile": "cpu", "max_steps": "5", "train_minutes": "2.5", "sources": ["catalogue"]}
START = {**CHOICES, "start": "1"}


def test_retrain_form_shows_an_estimate_then_enqueues_the_chosen_run(staff, sent, django_capture_on_commit_callbacks):
    form = staff.get(reverse("admin:training_trainingrun_retrain")).content.decode()
    assert "Evaluating before training" in form and "In all" in form and 'name="max_steps"' in form
    estimate = staff.post(reverse("admin:training_trainingrun_retrain"), {**CHOICES, "estimate": "1"})
    assert estimate.status_code == 200 and "5 steps of batch" in estimate.content.decode()
    assert not TrainingRun.objects.exists()  # an estimate starts nothing
    response = post(staff, "admin:training_trainingrun_retrain", capture=django_capture_on_commit_callbacks, **START)
    run = TrainingRun.objects.get()
    assert response.status_code == 302 and run.trigger == "admin" and run.status == "pending"
    assert run.config["profile"] == "cpu" and run.config["max_steps"] == 5 and run.config["sources"] == ["catalogue"]
    assert run.config["train_minutes"] == 2.5
    assert sent == [("training.tasks.training_run_execute", (run.pk,))]
    response = post(staff, "admin:training_trainingrun_retrain", capture=django_capture_on_commit_callbacks, **START)
    assert "still pending" in messages_of(response)
    assert TrainingRun.objects.count() == 1 and len(sent) == 1
    refused = staff.post(reverse("admin:training_trainingrun_retrain"), {**START, "sources": []})
    assert refused.status_code == 200 and "This field is required" in refused.content.decode()


def test_non_staff_cannot_start_promote_roll_back_or_rebuild(
    visitor_client, sent, django_capture_on_commit_callbacks, tmp_path
):
    version = ModelVersion.objects.create(number=1, adapter_path=str(tmp_path))
    for name, args, data in [
        ("admin:training_trainingrun_retrain", (), START),
        ("admin:training_modelversion_rollback", (), {}),
        ("admin:retrieval_indexrebuild_start", (), {}),
        ("admin:training_modelversion_changelist", (), {"action": "promote", "_selected_action": [version.pk]}),
    ]:
        response = post(visitor_client, name, *args, capture=django_capture_on_commit_callbacks, **data)
        assert response.status_code == 302 and "/admin/login/" in response.url
    assert sent == [] and not TrainingRun.objects.exists()


def test_staff_without_the_permission_is_refused(client, db, sent, django_capture_on_commit_callbacks):
    user = User.objects.create_user("editor", "e@example.org", "pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_trainingrun"))
    client.force_login(user)
    response = post(client, "admin:training_trainingrun_retrain", capture=django_capture_on_commit_callbacks)
    assert "may not start" in messages_of(response)
    response = post(client, "admin:training_modelversion_rollback", capture=django_capture_on_commit_callbacks)
    assert "may not roll back" in messages_of(response)
    assert sent == [] and not TrainingRun.objects.exists()


def test_promote_and_roll_back_act_at_once_and_evaluate_is_enqueued(
    staff, sent, django_capture_on_commit_callbacks, tmp_path
):
    (tmp_path / "adapter_config.json").write_text("{}")
    first, second = (ModelVersion.objects.create(number=n, adapter_path=str(tmp_path)) for n in (1, 2))
    response = post(
        staff,
        "admin:training_modelversion_changelist",
        capture=django_capture_on_commit_callbacks,
        action="promote",
        _selected_action=[second.pk],
    )
    assert "v2 now writes the chat's replies" in messages_of(response)
    assert ModelVersion.objects.get(status="active") == second
    response = post(
        staff,
        "admin:training_modelversion_changelist",
        capture=django_capture_on_commit_callbacks,
        action="promote",
        _selected_action=[first.pk, second.pk],
    )
    assert "exactly one" in messages_of(response) and ModelVersion.objects.get(status="active") == second
    response = post(staff, "admin:training_modelversion_rollback", capture=django_capture_on_commit_callbacks)
    assert "the base model writes" in messages_of(response) and not ModelVersion.objects.filter(status="active")
    response = post(staff, "admin:training_modelversion_rollback", capture=django_capture_on_commit_callbacks)
    assert "no version is promoted" in messages_of(response)
    post(
        staff,
        "admin:training_modelversion_changelist",
        capture=django_capture_on_commit_callbacks,
        action="evaluate",
        _selected_action=[first.pk],
    )
    assert sent == [("training.tasks.model_version_evaluate", (first.pk,))]
    first.refresh_from_db()
    assert first.metrics["evaluation"]["status"] == "pending"  # visible from the click on


def test_an_evaluation_that_fails_says_so_on_the_version(db, tmp_path):
    from training.services import VersionError, model_version_evaluate

    version = ModelVersion.objects.create(number=1, adapter_path=str(tmp_path))  # no training run, no dataset
    with pytest.raises(VersionError):
        model_version_evaluate(version_id=version.pk)
    version.refresh_from_db()
    evaluation = version.metrics["evaluation"]
    assert evaluation["status"] == "failed" and "dataset are gone" in evaluation["error"]


def test_promoting_a_version_without_its_adapter_says_why(staff, django_capture_on_commit_callbacks, tmp_path):
    version = ModelVersion.objects.create(number=1, adapter_path=str(tmp_path / "gone"))
    response = post(
        staff,
        "admin:training_modelversion_changelist",
        capture=django_capture_on_commit_callbacks,
        action="promote",
        _selected_action=[version.pk],
    )
    assert "no adapter at" in messages_of(response) and not ModelVersion.objects.filter(status="active")


def test_rebuild_index_records_and_enqueues_the_rebuild(staff, sent, django_capture_on_commit_callbacks):
    from retrieval.models import IndexRebuild

    response = post(staff, "admin:retrieval_indexrebuild_start", capture=django_capture_on_commit_callbacks)
    rebuild = IndexRebuild.objects.get()
    assert response.status_code == 302 and sent == [("retrieval.tasks.index_rebuild", (rebuild.pk,))]
    assert rebuild.status == "pending" and f"Index rebuild #{rebuild.pk} started" in messages_of(response)
    listed = staff.get(reverse("admin:retrieval_indexrebuild_changelist")).content.decode()
    assert "Rebuild index now" in listed and "Pending" in listed
    assert b"Rebuild index" in staff.get(reverse("admin:marketplace_addon_changelist")).content


def test_cancel_button_and_action(staff, db):
    run = TrainingRun.objects.create(status=TrainingRun.Status.RUNNING, total_steps=10, step=3)
    page = staff.get(reverse("admin:training_trainingrun_change", args=[run.pk])).content.decode()
    assert reverse("admin:training_trainingrun_cancel", args=[run.pk]) in page
    response = staff.post(reverse("admin:training_trainingrun_cancel", args=[run.pk]))
    run.refresh_from_db()
    assert run.cancel_requested and run.status == "running"
    assert messages_of(response) == f"Training run #{run.pk} stops after its current step."
    response = staff.post(reverse("admin:training_trainingrun_cancel", args=[run.pk]))  # its worker died
    run.refresh_from_db()
    assert run.status == "cancelled" and messages_of(response).endswith(f"Training run #{run.pk} cancelled.")
    pending = TrainingRun.objects.create(status=TrainingRun.Status.FAILED)
    staff.post(
        reverse("admin:training_trainingrun_changelist"), {"action": "cancel_runs", "_selected_action": [pending.pk]}
    )
    pending.refresh_from_db()
    assert pending.status == "failed"  # a finished run stays as it was


EVALUATION = {
    "validation_loss": 2.0,
    "perplexity": 7.39,
    "grounded": {
        "samples": 4,
        "named_right": 1,
        "rate": 0.25,
        "sentences": 8,
        "supported_sentences": 6,
        "supported_rate": 0.75,
        "invented": 1,
        "invented_names": ["Sun Filter"],
        "mean_words": 21.5,
        "answers": [
            {
                "need": "pages too bright at night",
                "expected": "Night Shade",
                "answer": "Sun Filter dims pages.",
                "named": False,
                "sentences": 1,
                "supported": 1,
                "invented": [],
                "words": 4,
            },
        ],
        "slips": [["Sun Filter dims pages with SSL.", ["ssl"]]],
        "inventions": [["Try Sun Filter.", ["Sun Filter"]]],
    },
}


def test_run_pages_show_phase_progress_tables_and_the_loss_curve(staff, db, tmp_path):
    example = {"source": "need", "need": "dim bright pages", "messages": [{"content": "Sun Filter dims pages."}]}
    (tmp_path / "train.jsonl").write_text(json.dumps(example) + "\n")
    run = TrainingRun.objects.create(
        dataset_path=str(tmp_path),
        status=TrainingRun.Status.RUNNING,
        phase=TrainingRun.Phase.TRAIN,
        phase_done=3,
        phase_total=10,
        step=3,
        total_steps=10,
        loss=1.25,
        eta_seconds=95,
        heartbeat_at=timezone.now(),
        phase_seconds={"dataset": 1.0, "load": 6.0, "evaluate_before": 30.0},
        estimate_seconds={"dataset": 2, "load": 6, "evaluate_before": 40, "train": 300},
        loss_history=[[1, 2.0], [2, 1.5], [3, 1.25]],
        counts={
            "train": 9,
            "validation": 2,
            "train_by_source": {"need": 9},
            "validation_by_source": {"need": 2},
            "dropped_unverified": {"conversation": 1},
        },
        config={"profile": "cpu", "max_steps": 10, "sources": ["catalogue"]},
        log="12:00:00 started\n",
        metrics={"before": EVALUATION, "after": EVALUATION},
    )
    listing = staff.get(reverse("admin:training_trainingrun_changelist")).content.decode()
    assert f'data-training-run="{run.pk}" data-live="1" max="10" value="3"' in listing
    assert "Training · step 3/10 · loss 1.250 · ETA 1 min 35 s" in listing and "Retrain model" in listing
    page = staff.get(reverse("admin:training_trainingrun_change", args=[run.pk])).content.decode()
    assert "<svg" in page and "<polyline" in page and "12:00:00 started" in page
    assert "<td>Names the right add-on</td><td>1/4 (25%)</td>" in page
    assert "<td>Sentences the verifier supports</td><td>6/8 (75%)</td>" in page
    assert "<td>Invented add-ons</td><td>1, Sun Filter</td>" in page
    assert "<td>Evaluating before training</td><td>30 s</td><td>40 s</td>" in page
    assert "<td>conversation</td><td>0</td><td>0</td><td>1</td>" in page  # dropped by the verifier
    assert "<td>need</td><td>dim bright pages</td><td>Sun Filter dims pages.</td>" in page  # dataset examples
    assert "<td>pages too bright at night</td><td>Night Shade</td>" in page and "<td>max steps</td><td>10</td>" in page
    assert "<td>Sun Filter dims pages with SSL.</td><td>unsupported: ssl</td>" in page  # what the chat faulted
    assert "<td>Try Sun Filter.</td><td>named off the cards: Sun Filter</td>" in page
    progress = staff.get(reverse("admin:training_trainingrun_progress"), {"ids": f"{run.pk},x"}).json()
    assert progress["runs"][str(run.pk)] == {
        "status": "running",
        "live": True,
        "done": 3,
        "total": 10,
        "stalled": False,
        "text": "Training · step 3/10 · loss 1.250 · ETA 1 min 35 s",
    }
    TrainingRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=20))
    stalled = staff.get(reverse("admin:training_trainingrun_progress"), {"ids": str(run.pk)}).json()["runs"]
    assert stalled[str(run.pk)]["stalled"] and "STALLED: no progress since" in stalled[str(run.pk)]["text"]


def test_promoting_a_worse_version_asks_for_a_reason_and_records_it(staff, db, tmp_path):
    def version(number: int, rate: float) -> ModelVersion:
        adapter = tmp_path / f"adapter-{number}"
        adapter.mkdir()
        (adapter / "adapter_config.json").write_text("{}")
        after = {**EVALUATION, "grounded": {**EVALUATION["grounded"], "rate": rate}}
        return ModelVersion.objects.create(
            number=number, adapter_path=str(adapter), metrics={"before": EVALUATION, "after": after}
        )

    good, worse = version(1, 0.75), version(2, 0.5)
    changelist = reverse("admin:training_modelversion_changelist")
    staff.post(changelist, {"action": "promote", "_selected_action": [good.pk]})
    good.refresh_from_db()
    assert good.status == "active" and good.promotion_override == ""
    asked = staff.post(changelist, {"action": "promote", "_selected_action": [worse.pk]})
    assert asked.status_code == 200 and "names the right add-on 0.50 against 0.75" in asked.content.decode()
    worse.refresh_from_db()
    assert worse.status == "ready"
    blank = staff.post(changelist, {"action": "promote", "_selected_action": [worse.pk], "promote_anyway": "1"})
    assert blank.status_code == 200 and "This field is required" in blank.content.decode()
    staff.post(
        changelist,
        {"action": "promote", "_selected_action": [worse.pk], "promote_anyway": "1", "reason": "fewer invented names"},
    )
    worse.refresh_from_db()
    assert worse.status == "active" and worse.promotion_override.startswith("fewer invented names (scored worse:")
    page = staff.get(reverse("admin:training_modelversion_change", args=[good.pk])).content.decode()
    assert f"Serving now: {worse}" in page and "<th>Base model</th>" in page


def test_version_list_says_what_serves(staff, db, tmp_path, settings):
    settings.LLM_ADAPTER = ""
    ModelVersion.objects.create(number=4, adapter_path=str(tmp_path), status=ModelVersion.Status.ACTIVE)
    page = staff.get(reverse("admin:training_modelversion_changelist")).content.decode()
    assert "The chat is served by <strong>v4</strong>" in page and "Roll back" in page
    assert "Promote the selected version" in page

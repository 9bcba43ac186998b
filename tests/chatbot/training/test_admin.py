"""Admin: Retrain, Cancel, Promote, Roll back and Rebuild index enqueue Celery tasks, for staff only;
runs show progress, metrics and a loss curve."""
from __future__ import annotations

import threading

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from chatbot import tasks
from chatbot.models import ModelVersion, TrainingRun


@pytest.fixture
def sent(monkeypatch, settings):
    """With a broker configured: what would go to the worker, as (task name, args)."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    calls = []
    for task in (tasks.training_run_execute, tasks.model_version_promote, tasks.model_version_rollback,
                 tasks.model_version_evaluate, tasks.index_rebuild):
        monkeypatch.setattr(task, "delay", lambda *args, name=task.name: calls.append((name, args)))
    return calls


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


def test_retrain_enqueues_a_training_run(staff, sent, django_capture_on_commit_callbacks):
    response = post(staff, "admin:chatbot_trainingrun_retrain", capture=django_capture_on_commit_callbacks)
    run = TrainingRun.objects.get()
    assert response.status_code == 302 and run.trigger == "admin" and run.status == "pending"
    assert sent == [("chatbot.tasks.training_run_execute", (run.pk,))]
    response = post(staff, "admin:chatbot_trainingrun_retrain", capture=django_capture_on_commit_callbacks)
    assert "still pending" in " ".join(str(m) for m in response.wsgi_request._messages)
    assert TrainingRun.objects.count() == 1 and len(sent) == 1


def test_non_staff_cannot_start_promote_roll_back_or_rebuild(visitor_client, sent, django_capture_on_commit_callbacks,
                                                             tmp_path):
    version = ModelVersion.objects.create(number=1, adapter_path=str(tmp_path))
    for name, args, data in [("admin:chatbot_trainingrun_retrain", (), {}),
                             ("admin:chatbot_modelversion_rollback", (), {}),
                             ("admin:marketplace_addon_rebuild_index", (), {}),
                             ("admin:chatbot_modelversion_changelist", (),
                              {"action": "promote", "_selected_action": [version.pk]})]:
        response = post(visitor_client, name, *args, capture=django_capture_on_commit_callbacks, **data)
        assert response.status_code == 302 and "/admin/login/" in response.url
    assert sent == [] and not TrainingRun.objects.exists()


def test_staff_without_the_permission_is_refused(client, db, sent, django_capture_on_commit_callbacks):
    user = User.objects.create_user("editor", "e@example.org", "pw", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_trainingrun"))
    client.force_login(user)
    response = post(client, "admin:chatbot_trainingrun_retrain", capture=django_capture_on_commit_callbacks)
    assert "may not start" in " ".join(str(m) for m in response.wsgi_request._messages)
    response = post(client, "admin:chatbot_modelversion_rollback", capture=django_capture_on_commit_callbacks)
    assert "may not roll back" in " ".join(str(m) for m in response.wsgi_request._messages)
    assert sent == [] and not TrainingRun.objects.exists()


def test_promote_and_roll_back_enqueue_their_tasks(staff, sent, django_capture_on_commit_callbacks, tmp_path):
    first, second = (ModelVersion.objects.create(number=n, adapter_path=str(tmp_path)) for n in (1, 2))
    data = {"action": "promote", "_selected_action": [second.pk]}
    post(staff, "admin:chatbot_modelversion_changelist", capture=django_capture_on_commit_callbacks, **data)
    post(staff, "admin:chatbot_modelversion_changelist", capture=django_capture_on_commit_callbacks,
         action="promote", _selected_action=[first.pk, second.pk])  # refused: exactly one
    post(staff, "admin:chatbot_modelversion_rollback", capture=django_capture_on_commit_callbacks)
    post(staff, "admin:chatbot_modelversion_changelist", capture=django_capture_on_commit_callbacks,
         action="evaluate", _selected_action=[first.pk])
    assert sent == [("chatbot.tasks.model_version_promote", (second.pk,)),
                    ("chatbot.tasks.model_version_rollback", ()),
                    ("chatbot.tasks.model_version_evaluate", (first.pk,))]


def test_rebuild_index_enqueues_the_rebuild(staff, sent, django_capture_on_commit_callbacks):
    response = post(staff, "admin:marketplace_addon_rebuild_index", capture=django_capture_on_commit_callbacks)
    assert response.status_code == 302 and sent == [("chatbot.tasks.index_rebuild", ())]
    assert b"Rebuild index" in staff.get(reverse("admin:marketplace_addon_changelist")).content


def test_without_a_broker_jobs_run_in_a_background_thread(db, settings, monkeypatch,
                                                         django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    ran = []
    done = threading.Event()

    def apply(args=()):
        ran.append((threading.current_thread().name, args))
        done.set()

    monkeypatch.setattr(tasks.index_rebuild, "apply", apply)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.enqueue(tasks.index_rebuild)
        assert ran == []  # nothing before the transaction commits
    assert done.wait(10) and ran == [("task-chatbot.tasks.index_rebuild", ())]


def test_cancel_button_and_action(staff, db):
    run = TrainingRun.objects.create(status=TrainingRun.Status.RUNNING, total_steps=10, step=3)
    page = staff.get(reverse("admin:chatbot_trainingrun_change", args=[run.pk])).content.decode()
    assert reverse("admin:chatbot_trainingrun_cancel", args=[run.pk]) in page
    staff.post(reverse("admin:chatbot_trainingrun_cancel", args=[run.pk]))
    run.refresh_from_db()
    assert run.cancel_requested and run.status == "running"
    pending = TrainingRun.objects.create(status=TrainingRun.Status.FAILED)
    staff.post(reverse("admin:chatbot_trainingrun_changelist"),
               {"action": "cancel_runs", "_selected_action": [pending.pk]})
    pending.refresh_from_db()
    assert pending.status == "failed"  # a finished run stays as it was


def test_run_pages_show_progress_metrics_and_the_loss_curve(staff, db):
    run = TrainingRun.objects.create(
        status=TrainingRun.Status.RUNNING, step=3, total_steps=10, loss=1.25, eta_seconds=95,
        loss_history=[[1, 2.0], [2, 1.5], [3, 1.25]], log="12:00:00 started\n",
        metrics={"before": {"validation_loss": 2.0, "perplexity": 7.39, "grounded": {"rate": 0.25}}})
    listing = staff.get(reverse("admin:chatbot_trainingrun_changelist")).content.decode()
    assert f'data-training-run="{run.pk}" data-live="1" max="10" value="3"' in listing
    assert "3/10 · loss 1.250 · ETA 1 min 35 s" in listing and "Retrain model" in listing
    assert "2.000 → —" in listing
    page = staff.get(reverse("admin:chatbot_trainingrun_change", args=[run.pk])).content.decode()
    assert "<svg" in page and "<polyline" in page and "12:00:00 started" in page and "0.25 → —" in page
    progress = staff.get(reverse("admin:chatbot_trainingrun_progress"), {"ids": f"{run.pk},x"}).json()
    assert progress["runs"][str(run.pk)] == {"status": "running", "label": "Running", "step": 3, "total_steps": 10,
                                             "percent": 30.0, "loss": 1.25, "eta_seconds": 95,
                                             "cancel_requested": False}


def test_version_list_says_what_serves(staff, db, tmp_path, settings):
    settings.LLM_ADAPTER = ""
    ModelVersion.objects.create(number=4, adapter_path=str(tmp_path), status=ModelVersion.Status.ACTIVE)
    page = staff.get(reverse("admin:chatbot_modelversion_changelist")).content.decode()
    assert "The chat is served by <strong>v4</strong>" in page and "Roll back" in page
    assert "Promote the selected version" in page

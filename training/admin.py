"""Fine-tuning in admin: training runs with live progress, and the model versions the chat can serve."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponseRedirect, JsonResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from marketplace.admin_history import HistoryAdmin
from training.chart import loss_curve_svg
from training.models import ModelVersion, TrainingRun
from training.selectors import metric_change, model_version_active, training_run_progress
from training.services import (
    TrainingBusy,
    TrainingRunError,
    VersionError,
    model_version_evaluate_start,
    model_version_promote,
    model_version_rollback,
    training_run_cancel,
    training_run_start,
)


def _seconds(value: int | None) -> str:
    if value is None:
        return "—"
    minutes, seconds = divmod(int(value), 60)
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


def _metrics_table(metrics: dict) -> str:
    rows = [
        ("Validation loss", metric_change(metrics, "validation_loss")),
        ("Perplexity", metric_change(metrics, "perplexity", 2)),
        ("Names the right add-on (held-out needs)", metric_change(metrics, "grounded", 2)),
    ]
    return format_html("<table>{}</table>", format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows))


@admin.register(TrainingRun)
class TrainingRunAdmin(HistoryAdmin):
    """Runs with live progress; "Retrain model" and "Cancel" only call the services, which use Celery."""

    list_display = [
        "id",
        "status",
        "progress_bar",
        "validation_loss",
        "grounded",
        "trigger",
        "created_at",
        "finished_at",
        "version",
    ]
    list_filter = ["status", "trigger"]
    list_select_related = ["model_version"]
    actions = ["cancel_runs"]
    change_list_template = "admin/training/trainingrun/change_list.html"
    change_form_template = "admin/training/trainingrun/change_form.html"
    fieldsets = [
        (None, {"fields": ["status", "trigger", "progress_bar", "loss_curve", "error"]}),
        ("Metrics", {"fields": ["metrics_table", "counts", "metrics"]}),
        ("Configuration", {"fields": ["config", "dataset_path"]}),
        ("Log", {"fields": ["log_text", "created_at", "started_at", "finished_at"]}),
    ]
    readonly_fields = [
        "status",
        "trigger",
        "progress_bar",
        "loss_curve",
        "error",
        "metrics_table",
        "counts",
        "metrics",
        "config",
        "dataset_path",
        "log_text",
        "created_at",
        "started_at",
        "finished_at",
    ]

    def has_cancel_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("training.change_trainingrun")

    @admin.display(description="Progress")
    def progress_bar(self, run: TrainingRun) -> str:
        return format_html(
            '<progress data-training-run="{}" data-live="{}" max="{}" value="{}" style="width:12em"></progress> '
            '<span data-training-run-text="{}">{}</span>',
            run.pk,
            "1" if run.is_live else "",
            run.total_steps or 1,
            run.step,
            run.pk,
            self._progress_text(run),
        )

    @staticmethod
    def _progress_text(run: TrainingRun) -> str:
        if not run.total_steps:
            return run.get_status_display()
        loss = f" · loss {run.loss:.3f}" if run.loss is not None else ""
        eta = f" · ETA {_seconds(run.eta_seconds)}" if run.is_live and run.eta_seconds is not None else ""
        return f"{run.step}/{run.total_steps}{loss}{eta}"

    @admin.display(description="Validation loss")
    def validation_loss(self, run: TrainingRun) -> str:
        return metric_change(run.metrics, "validation_loss")

    @admin.display(description="Names the right add-on")
    def grounded(self, run: TrainingRun) -> str:
        return metric_change(run.metrics, "grounded", 2)

    @admin.display(description="Model version")
    def version(self, run: TrainingRun) -> str:
        version = getattr(run, "model_version", None)
        if version is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:training_modelversion_change", args=[version.pk]), version
        )

    @admin.display(description="Loss curve")
    def loss_curve(self, run: TrainingRun) -> str:
        return loss_curve_svg(run.loss_history)

    @admin.display(description="Before and after")
    def metrics_table(self, run: TrainingRun) -> str:
        return _metrics_table(run.metrics)

    @admin.display(description="Log")
    def log_text(self, run: TrainingRun) -> str:
        return format_html('<pre style="max-height:30em;overflow:auto;white-space:pre-wrap">{}</pre>', run.log)

    @admin.action(description="Cancel the selected runs", permissions=["cancel"])
    def cancel_runs(self, request: HttpRequest, queryset) -> None:
        for run in queryset:
            self._cancel(request, run.pk)

    def _cancel(self, request: HttpRequest, run_id: int) -> None:
        # Directly, not as a task: a cancel queued behind the job it cancels would arrive after it ended.
        try:
            run = training_run_cancel(run_id=run_id)
        except TrainingRunError as error:
            messages.warning(request, str(error))
            return
        if run.status == TrainingRun.Status.CANCELLED:
            messages.success(request, f"Training run #{run.pk} cancelled.")
        else:
            messages.success(request, f"Training run #{run.pk} stops after its current step.")

    def get_urls(self):
        def staff(view):
            return require_POST(self.admin_site.admin_view(view))

        return [
            path("retrain/", staff(self.retrain_view), name="training_trainingrun_retrain"),
            path("<int:run_id>/cancel/", staff(self.cancel_view), name="training_trainingrun_cancel"),
            path("progress/", self.admin_site.admin_view(self.progress_view), name="training_trainingrun_progress"),
            *super().get_urls(),
        ]

    def retrain_view(self, request: HttpRequest) -> HttpResponseRedirect:
        if not request.user.has_perm("training.add_trainingrun"):
            messages.error(request, "You may not start training runs.")
        else:
            try:
                run = training_run_start(trigger=TrainingRun.Trigger.ADMIN)
            except TrainingBusy as error:
                messages.warning(request, str(error))
            else:
                messages.success(request, f"Retraining started as run #{run.pk}: its progress shows below.")
        return HttpResponseRedirect(reverse("admin:training_trainingrun_changelist"))

    def cancel_view(self, request: HttpRequest, run_id: int) -> HttpResponseRedirect:
        if not self.has_cancel_permission(request):
            messages.error(request, "You may not cancel training runs.")
        else:
            self._cancel(request, run_id)
        return HttpResponseRedirect(reverse("admin:training_trainingrun_change", args=[run_id]))

    def progress_view(self, request: HttpRequest) -> JsonResponse:
        ids = [int(item) for item in request.GET.get("ids", "").split(",") if item.strip().isdigit()][:100]
        return JsonResponse({"runs": training_run_progress(run_ids=ids)})


@admin.register(ModelVersion)
class ModelVersionAdmin(HistoryAdmin):
    """Versions and what serves the chat. "Promote" and "Roll back" take effect at once (servers pick the
    change up within TRAINING_ACTIVE_VERSION_TTL); "Evaluate" runs as a background job."""

    list_display = ["__str__", "status", "base", "validation_loss", "grounded", "run", "created_at", "promoted_at"]
    list_filter = ["status"]
    actions = ["promote", "evaluate"]
    change_list_template = "admin/training/modelversion/change_list.html"
    readonly_fields = [
        "number",
        "status",
        "base",
        "adapter_path",
        "merged_path",
        "run",
        "previous",
        "metrics_table",
        "training_config",
        "metrics",
        "created_at",
        "promoted_at",
    ]
    fields = tuple(readonly_fields)

    def has_promote_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("training.change_modelversion")

    @admin.display(description="Base model")
    def base(self, version: ModelVersion) -> str:
        return version.base_model or "SmolLM2-135M-Instruct (packaged)"

    @admin.display(description="Validation loss")
    def validation_loss(self, version: ModelVersion) -> str:
        return metric_change(version.metrics, "validation_loss")

    @admin.display(description="Names the right add-on")
    def grounded(self, version: ModelVersion) -> str:
        return metric_change(version.metrics, "grounded", 2)

    @admin.display(description="Training run")
    def run(self, version: ModelVersion) -> str:
        if version.training_run_id is None:
            return "—"
        return format_html(
            '<a href="{}">#{}</a>',
            reverse("admin:training_trainingrun_change", args=[version.training_run_id]),
            version.training_run_id,
        )

    @admin.display(description="Before and after training")
    def metrics_table(self, version: ModelVersion) -> str:
        return _metrics_table(version.metrics)

    @admin.action(
        description="Promote the selected version (the chat uses it from the next reply)", permissions=["promote"]
    )
    def promote(self, request: HttpRequest, queryset) -> None:
        if queryset.count() != 1:
            messages.error(request, "Select exactly one version to promote.")
            return
        try:
            version = model_version_promote(version_id=queryset.get().pk)
        except VersionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"{version} now writes the chat's replies.")

    @admin.action(description="Evaluate the selected versions again", permissions=["promote"])
    def evaluate(self, request: HttpRequest, queryset) -> None:
        for version in queryset:
            model_version_evaluate_start(version_id=version.pk)
        messages.success(
            request, f"Evaluation of {queryset.count()} version(s) started: each one's metrics show its progress."
        )

    def get_urls(self):
        rollback = require_POST(self.admin_site.admin_view(self.rollback_view))
        return [path("rollback/", rollback, name="training_modelversion_rollback"), *super().get_urls()]

    def rollback_view(self, request: HttpRequest) -> HttpResponseRedirect:
        if not self.has_promote_permission(request):
            messages.error(request, "You may not roll back model versions.")
        else:
            try:
                version = model_version_rollback()
            except VersionError as error:
                messages.error(request, str(error))
            else:
                messages.success(request, f"Rolled back: {version or 'the base model'} writes the chat's replies.")
        return HttpResponseRedirect(reverse("admin:training_modelversion_changelist"))

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        active = model_version_active()
        context = {
            "serving": active or "the base model",
            "pinned_adapter": settings.LLM_ADAPTER,
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=context)

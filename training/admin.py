"""Fine-tuning in admin: training runs with live progress, and the model versions the chat can serve."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from marketplace.admin_history import HistoryAdmin
from marketplace.charts import loss_curve_svg
from training.admin_tables import (
    answers_table,
    config_table,
    counts_table,
    evaluation_table,
    examples_table,
    phases_table,
    slips_table,
)
from training.estimate import training_estimate
from training.forms import PromoteAnywayForm, RetrainForm
from training.models import ModelVersion, TrainingRun
from training.selectors import (
    duration,
    metric_change,
    model_version_active,
    training_run_progress,
    training_run_progress_text,
    training_set_samples,
)
from training.services import (
    PromotionRefused,
    TrainingBusy,
    TrainingRunError,
    VersionError,
    model_version_evaluate_start,
    model_version_promote,
    model_version_rollback,
    training_run_cancel,
    training_run_start,
)


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
        (None, {"fields": ["status", "trigger", "progress_bar", "phases", "loss_curve", "error"]}),
        ("Held-out evaluation", {"fields": ["metrics_table", "sample_answers", "unsupported_sentences"]}),
        ("Dataset", {"fields": ["counts_table", "dataset_examples", "dataset_path"]}),
        ("Configuration", {"fields": ["config_table"]}),
        ("Log", {"fields": ["log_text", "created_at", "started_at", "finished_at"]}),
    ]
    readonly_fields = [
        "status",
        "trigger",
        "progress_bar",
        "phases",
        "loss_curve",
        "error",
        "metrics_table",
        "sample_answers",
        "unsupported_sentences",
        "counts_table",
        "dataset_examples",
        "dataset_path",
        "config_table",
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
            '<span data-training-run-text="{}"{}>{}</span>',
            run.pk,
            "1" if run.is_live else "",
            run.phase_total or 1,
            run.phase_done,
            run.pk,
            format_html(' style="color:#ba2121;font-weight:bold"') if run.is_stalled else "",
            training_run_progress_text(run),
        )

    @admin.display(description="Phases")
    def phases(self, run: TrainingRun) -> str:
        return phases_table(run)

    @admin.display(description="Sample answers")
    def sample_answers(self, run: TrainingRun) -> str:
        return answers_table(run.metrics.get("before"), run.metrics.get("after"))

    @admin.display(description="Unsupported sentences (after)")
    def unsupported_sentences(self, run: TrainingRun) -> str:
        return slips_table(run.metrics.get("after"))

    @admin.display(description="Examples")
    def counts_table(self, run: TrainingRun) -> str:
        return counts_table(run.counts)

    @admin.display(description="Sample examples")
    def dataset_examples(self, run: TrainingRun) -> str:
        return examples_table(training_set_samples(run))

    @admin.display(description="Settings")
    def config_table(self, run: TrainingRun) -> str:
        return config_table(run.config)

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
        return evaluation_table(
            [("Before training (base)", run.metrics.get("before")), ("After training", run.metrics.get("after"))]
        )

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
            path("retrain/", self.admin_site.admin_view(self.retrain_view), name="training_trainingrun_retrain"),
            path("<int:run_id>/cancel/", staff(self.cancel_view), name="training_trainingrun_cancel"),
            path("progress/", self.admin_site.admin_view(self.progress_view), name="training_trainingrun_progress"),
            *super().get_urls(),
        ]

    def retrain_view(self, request: HttpRequest) -> HttpResponse:
        """The Retrain form: profile, steps and data sources, with the time each phase is expected to take;
        "Start training" starts the run, "Update estimate" only recomputes."""
        if not request.user.has_perm("training.add_trainingrun"):
            messages.error(request, "You may not start training runs.")
            return HttpResponseRedirect(reverse("admin:training_trainingrun_changelist"))
        form = RetrainForm(request.POST) if request.method == "POST" else RetrainForm.defaults()
        config = form.config()
        if config is not None and "start" in request.POST:
            try:
                run = training_run_start(trigger=TrainingRun.Trigger.ADMIN, overrides=form.overrides())
            except TrainingBusy as error:
                messages.warning(request, str(error))
            else:
                messages.success(request, f"Retraining started as run #{run.pk}: its progress shows below.")
                return HttpResponseRedirect(reverse("admin:training_trainingrun_changelist"))
        estimate = training_estimate(config) if config else {}
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Retrain the language model",
            "form": form,
            "config": config,
            "estimate": [(label, duration(estimate.get(value))) for value, label in TrainingRun.Phase.choices],
            "total": duration(sum(estimate.values())) if estimate else "—",
        }
        return TemplateResponse(request, "admin/training/trainingrun/retrain.html", context)

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
        "sample_answers",
        "unsupported_sentences",
        "config_table",
        "created_at",
        "promoted_at",
        "promotion_override",
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

    @admin.display(description="Held-out evaluation")
    def metrics_table(self, version: ModelVersion) -> str:
        """Base, this version and what serves now, side by side (each measured on its own run's held-out
        needs); a re-evaluation, when there is one, beside them."""
        serving = model_version_active()
        columns = [("Base model", version.metrics.get("before")), (str(version), version.metrics.get("after"))]
        evaluation = version.metrics.get("evaluation", {})
        if evaluation.get("status") == "succeeded":
            columns.append((f"{version}, evaluated again", evaluation))
        if serving is not None and serving != version:
            columns.append((f"Serving now: {serving}", serving.metrics.get("after")))
        table = evaluation_table(columns)
        if evaluation.get("status") in {"pending", "running", "failed"}:
            done = (
                f"{evaluation['done']}/{evaluation['total']} held-out needs answered; " if "total" in evaluation else ""
            )
            note = evaluation.get("error") or f"{done}the result shows here when it is done"
            return format_html("{}<p>Evaluation {}: {}</p>", table, evaluation["status"], note)
        return table

    @admin.display(description="Sample answers")
    def sample_answers(self, version: ModelVersion) -> str:
        return answers_table(version.metrics.get("before"), version.metrics.get("after"))

    @admin.display(description="Unsupported sentences (after)")
    def unsupported_sentences(self, version: ModelVersion) -> str:
        return slips_table(version.metrics.get("after"))

    @admin.display(description="Training settings")
    def config_table(self, version: ModelVersion) -> str:
        return config_table(version.training_config)

    @admin.action(
        description="Promote the selected version (the chat uses it from the next reply)", permissions=["promote"]
    )
    def promote(self, request: HttpRequest, queryset) -> HttpResponse | None:
        """Promotes at once, unless the version scores worse than what serves: then a page lists where, and
        promoting it anyway takes a reason, recorded on the version."""
        if queryset.count() != 1:
            messages.error(request, "Select exactly one version to promote.")
            return None
        version = queryset.get()
        anyway = "promote_anyway" in request.POST
        form = PromoteAnywayForm(request.POST if anyway else None)
        try:
            reason = form.cleaned_data["reason"] if anyway and form.is_valid() else ""
            version = model_version_promote(version_id=version.pk, force=bool(reason), reason=reason)
        except PromotionRefused as refused:
            context = {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": f"Promote {version} anyway?",
                "version": version,
                "worse": refused.worse,
                "form": form,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/training/modelversion/promote_anyway.html", context)
        except VersionError as error:
            messages.error(request, str(error))
            return None
        messages.success(request, f"{version} now writes the chat's replies.")
        return None

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

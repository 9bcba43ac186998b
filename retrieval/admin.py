"""Index rebuilds in admin (read-only history plus "Rebuild index now", which only records and enqueues), the
evidence visitors gave the ranking, and fine-tuned encoder versions (fine-tune, compare, promote, roll back)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.views.decorators.http import require_POST

from marketplace.admin_history import HistoryAdmin
from marketplace.charts import loss_curve_svg
from retrieval.encoder_versions import (
    EncoderVersionRefused,
    embedding_version_promote,
    embedding_version_rollback,
    embedding_version_start,
)
from retrieval.models import EmbeddingVersion, Evidence, IndexRebuild
from retrieval.services import index_rebuild_start

METRICS = ("nDCG@5", "Hit@5", "MRR@10")


@admin.register(IndexRebuild)
class IndexRebuildAdmin(HistoryAdmin):
    list_display = ["__str__", "status", "created_at", "started_at", "finished_at", "report", "error"]
    list_filter = ["status"]
    readonly_fields = [field.name for field in IndexRebuild._meta.fields]
    change_list_template = "admin/retrieval/indexrebuild/change_list.html"

    def get_urls(self):
        start = require_POST(self.admin_site.admin_view(self.start_view))
        return [path("start/", start, name="retrieval_indexrebuild_start"), *super().get_urls()]

    def start_view(self, request: HttpRequest) -> HttpResponseRedirect:
        """Drop the search index and embed the catalogue again, as a job; its row shows how it goes."""
        if not self.has_start_permission(request):
            messages.error(request, "You may not rebuild the search index.")
        else:
            rebuild = index_rebuild_start()
            messages.success(request, f"{rebuild} started: its status below changes when it ends.")
        return HttpResponseRedirect(reverse("admin:retrieval_indexrebuild_changelist"))


@admin.register(Evidence)
class EvidenceAdmin(HistoryAdmin):
    """What visitors taught the ranking: viewable, and deletable (a staff member may drop abuse by hand)."""

    list_display = ["created_at", "signal", "addon", "need", "session", "client"]
    list_filter = ["signal"]
    search_fields = ["need", "addon__slug", "addon__name"]
    list_select_related = ["addon"]
    readonly_fields = ["created_at", "signal", "addon", "need", "session", "client"]
    exclude = ["vector"]


@admin.register(EmbeddingVersion)
class EmbeddingVersionAdmin(HistoryAdmin):
    """Fine-tuned encoders: start one, compare it with the encoder serving on held-out needs, promote it (only
    when it is better), roll back."""

    list_display = ["__str__", "status", "held_out", "pairs", "created_at", "promoted_at"]
    list_filter = ["status"]
    readonly_fields = fields = ("status", "progress", "comparison", "pair_counts", "loss_chart", "base_model",
                                "path", "config", "created_at", "finished_at", "promoted_at", "error")  # fmt: skip
    change_list_template = "admin/retrieval/embeddingversion/change_list.html"
    change_form_template = "admin/retrieval/embeddingversion/change_form.html"

    def get_urls(self) -> list[URLPattern]:
        def post(view):  # noqa: ANN001, ANN202 - an admin view
            return require_POST(self.admin_site.admin_view(view))

        return [
            path("start/", post(self.start_view), name="retrieval_embeddingversion_start"),
            path("<int:pk>/promote/", post(self.promote_view), name="retrieval_embeddingversion_promote"),
            path("rollback/", post(self.rollback_view), name="retrieval_embeddingversion_rollback"),
            *super().get_urls(),
        ]

    def start_view(self, request: HttpRequest) -> HttpResponseRedirect:
        if not self.has_start_permission(request):
            messages.error(request, "You may not fine-tune the encoder.")
        else:
            try:
                version = embedding_version_start()
            except ValueError as error:  # a setting out of range: nothing was recorded
                messages.error(request, f"Cannot fine-tune the encoder: {error}")
            else:
                messages.success(request, f"{version} is training: its row shows how it goes.")
        return HttpResponseRedirect(reverse("admin:retrieval_embeddingversion_changelist"))

    def promote_view(self, request: HttpRequest, pk: int) -> HttpResponseRedirect:
        version = EmbeddingVersion.objects.filter(pk=pk).first()
        if version is None or not self.has_start_permission(request):
            messages.error(request, "You may not promote this version.")
            return HttpResponseRedirect(reverse("admin:retrieval_embeddingversion_changelist"))
        try:
            embedding_version_promote(version=version)
        except EncoderVersionRefused as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, f"{version}: re-embedding the index; searches switch to it when that is done.")
        return HttpResponseRedirect(reverse("admin:retrieval_embeddingversion_change", args=[pk]))

    def rollback_view(self, request: HttpRequest) -> HttpResponseRedirect:
        if not self.has_start_permission(request):
            messages.error(request, "You may not roll the encoder back.")
            return HttpResponseRedirect(reverse("admin:retrieval_embeddingversion_changelist"))
        try:
            previous = embedding_version_rollback()
        except EncoderVersionRefused as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, f"Rolling back to {previous or 'the base encoder'}: searches switch when its "
                                      "index is ready.")  # fmt: skip
        return HttpResponseRedirect(reverse("admin:retrieval_embeddingversion_changelist"))

    @admin.display(description="Held-out nDCG@5 (serving → this)")
    def held_out(self, version: EmbeddingVersion) -> str:
        serving, candidate = version.metrics.get("serving", {}), version.metrics.get("candidate", {})
        if not candidate:
            return "—"
        return f"{serving.get('nDCG@5', 0):.3f} → {candidate['nDCG@5']:.3f}"

    @admin.display(description="Training pairs")
    def pairs(self, version: EmbeddingVersion) -> int:
        return sum(version.counts.get("train", {}).values())

    @admin.display(description="Held-out needs")
    def comparison(self, version: EmbeddingVersion) -> SafeString:
        if not version.finished_at:
            return format_html("<p>{}</p>", "Measured when training ends.")
        verdict = "better: it may be promoted" if version.beats_serving else "not better: it is not promoted"
        return format_html(
            "{}<p>{}</p>{}",
            self._table("visitors' needs (they decide)", version.metrics),
            verdict,
            self._table("needs written from listings (shown, not deciding)", version.metrics.get("catalogue", {})),
        )

    @staticmethod
    def _table(label: str, judged: dict) -> SafeString:
        serving, candidate = judged.get("serving") or {}, judged.get("candidate") or {}
        if not candidate:
            return format_html("<p>{} held-out {}.</p>", judged.get("needs", 0), label)
        rows = format_html_join(
            "", "<tr><th>{}</th><td>{}</td><td>{}</td></tr>",
            ((name, f"{serving.get(name, 0.0):.3f}", f"{candidate.get(name, 0.0):.3f}") for name in METRICS),
        )  # fmt: skip
        return format_html(
            "<table><thead><tr><th>{} held-out {}</th><th>serving when judged</th><th>this version</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            judged.get("needs", 0),
            label,
            rows,
        )

    @admin.display(description="Pairs")
    def pair_counts(self, version: EmbeddingVersion) -> SafeString:
        rows = format_html_join(
            "", "<tr><th>{}</th><td>{}</td><td>{}</td></tr>",
            ((split.replace("_", " "), counts.get("visitors", 0), counts.get("catalogue", 0))
             for split, counts in version.counts.items()),
        )  # fmt: skip
        return format_html(
            "<table><thead><tr><th></th><th>from visitors</th><th>from the catalogue</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            rows,
        )

    @admin.display(description="Training loss")
    def loss_chart(self, version: EmbeddingVersion) -> SafeString:
        return loss_curve_svg(version.loss_history)

"""Index rebuilds in admin (read-only history plus "Rebuild index now", which only records and enqueues), and
the evidence visitors gave the ranking."""

from __future__ import annotations

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from marketplace.admin_history import HistoryAdmin
from retrieval.models import Evidence, IndexRebuild
from retrieval.services import index_rebuild_start


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

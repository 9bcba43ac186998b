"""Scrape runs in admin: read-only history plus "Re-scrape now", which only enqueues."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from marketplace.admin_history import HistoryAdmin
from scraper.models import ScrapeRun
from scraper.services import scrape_run_default_params, scrape_run_enqueue


@admin.register(ScrapeRun)
class ScrapeRunAdmin(HistoryAdmin):
    list_display = [
        "id",
        "kind",
        "trigger",
        "status",
        "created_at",
        "finished_at",
        "pages_fetched",
        "created",
        "updated",
        "unchanged",
        "skipped",
        "deactivated",
    ]
    list_filter = ["status", "kind", "trigger"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in ScrapeRun._meta.fields]
    actions = ["rerun"]
    change_list_template = "admin/scraper/scraperun/change_list.html"

    @admin.action(description="Run the selected runs again with the same settings", permissions=["start"])
    def rerun(self, request: HttpRequest, queryset) -> None:
        for run in queryset:
            scrape_run_enqueue(kind=run.kind, params=run.params, trigger=ScrapeRun.Trigger.ADMIN)
        self.message_user(request, f"Enqueued {queryset.count()} run(s).", messages.SUCCESS)

    def get_urls(self):
        rescrape = require_POST(staff_member_required(self.admin_site.admin_view(self.rescrape_view)))
        return [path("rescrape/", rescrape, name="scraper_scraperun_rescrape"), *super().get_urls()]

    def rescrape_view(self, request: HttpRequest) -> HttpResponseRedirect:
        if not self.has_start_permission(request):
            messages.error(request, "You may not start scrapes.")
        else:
            run = scrape_run_enqueue(
                kind=ScrapeRun.Kind.SCRAPE, params=scrape_run_default_params(), trigger=ScrapeRun.Trigger.ADMIN
            )
            messages.success(request, f"Re-scrape started as run #{run.pk}: its status below changes as it runs.")
        return HttpResponseRedirect(reverse("admin:scraper_scraperun_changelist"))

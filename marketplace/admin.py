"""Catalogue admin: find, filter and sort add-ons; provenance is shown, never edited."""

from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from marketplace.models import Addon, Category
from marketplace.services import addon_edited, addons_changed_announce


class FreeFilter(admin.SimpleListFilter):
    title = "price"
    parameter_name = "free"

    def lookups(self, request: HttpRequest, model_admin):
        return [("1", "Free"), ("0", "Requires payment")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in {"0", "1"}:
            return queryset.filter(requires_payment=self.value() == "0")
        return queryset


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]


@admin.register(Addon)
class AddonAdmin(admin.ModelAdmin):
    list_display = [
        "icon",
        "name",
        "slug",
        "average_daily_users",
        "rating",
        "rating_count",
        "promoted",
        "is_active",
        "source",
        "last_seen_at",
    ]
    list_display_links = ["icon", "name"]
    list_filter = ["categories", "promoted", "is_active", FreeFilter, "needs_all_sites", "source"]
    search_fields = ["name", "slug", "summary_text", "guid"]
    ordering = ["-average_daily_users"]
    sortable_by = ["name", "slug", "average_daily_users", "rating", "rating_count", "last_seen_at"]
    filter_horizontal = ["categories"]
    readonly_fields = [
        "icon_preview",
        "amo_id",
        "guid",
        "source",
        "content_hash",
        "first_seen_at",
        "last_seen_at",
        "summary_text",
        "description_text",
        "needs_all_sites",
    ]
    list_per_page = 50
    change_list_template = "admin/marketplace/addon/change_list.html"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "icon_preview",
                    "name",
                    "slug",
                    "url",
                    "icon_url",
                    "summary",
                    "description",
                    "categories",
                    "tags",
                    "is_active",
                ]
            },
        ),
        (
            "Listing facts",
            {
                "fields": [
                    "average_daily_users",
                    "rating",
                    "rating_count",
                    "version",
                    "license",
                    "homepage",
                    "requires_payment",
                    "promoted",
                    "last_updated",
                ]
            },
        ),
        ("Permissions", {"fields": ["permissions", "host_permissions", "needs_all_sites"]}),
        (
            "Provenance",
            {
                "fields": [
                    "amo_id",
                    "guid",
                    "source",
                    "content_hash",
                    "first_seen_at",
                    "last_seen_at",
                    "summary_text",
                    "description_text",
                ]
            },
        ),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("categories")

    @admin.display(description="")
    def icon(self, addon: Addon) -> str:
        if not addon.icon_url:
            return "—"
        return format_html('<img src="{}" width="32" height="32" alt="" loading="lazy">', addon.icon_url)

    @admin.display(description="Icon")
    def icon_preview(self, addon: Addon) -> str:
        if not addon.icon_url:
            return "No icon"
        return format_html('<img src="{}" width="64" height="64" alt="">', addon.icon_url)

    def save_related(self, request: HttpRequest, form, formsets, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        addon_edited(addon=form.instance)

    def delete_model(self, request: HttpRequest, addon: Addon) -> None:
        slug = addon.slug
        super().delete_model(request, addon)
        addons_changed_announce(slugs=[slug])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        slugs = list(queryset.values_list("slug", flat=True))
        super().delete_queryset(request, queryset)
        addons_changed_announce(slugs=slugs)

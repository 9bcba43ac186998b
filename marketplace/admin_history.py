"""One base for admin pages that show a history written by services: runs, conversations, model versions."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest


class HistoryAdmin(admin.ModelAdmin):
    """Viewable, never added or edited by hand: the rows record what a service did, so an edit would lie."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_start_permission(self, request: HttpRequest) -> bool:
        """Whether the user may have a service write a new row (start a run): the model's add permission,
        which the add form itself never uses."""
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.add_{opts.model_name}")

"""HTTP routing only."""

from django.contrib import admin
from django.urls import path

from marketplace import health, views
from retrieval.api import recommend_view

urlpatterns = [
    path("", views.storefront, name="storefront"),
    path("admin/", admin.site.urls),
    path("api/recommend", recommend_view, name="api-recommend"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics_view, name="metrics"),
]

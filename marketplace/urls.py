"""HTTP routing only."""
from django.contrib import admin
from django.urls import path

from retrieval.api import recommend_view
from marketplace import views

urlpatterns = [
    path("", views.storefront, name="storefront"),
    path("admin/", admin.site.urls),
    path("api/recommend", recommend_view, name="api-recommend"),
]

"""HTTP routing only."""
from django.contrib import admin
from django.urls import path

from marketplace import views

urlpatterns = [
    path("", views.storefront, name="storefront"),
    path("admin/", admin.site.urls),
]

"""The demo storefront: a small marketplace page, as a host site for the chat widget."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from marketplace.selectors import addon_list, category_list

STOREFRONT_ADDONS = 24


def storefront(request: HttpRequest) -> HttpResponse:
    category = request.GET.get("category", "")[:64]
    context = {
        "categories": category_list(),
        "current_category": category,
        "addons": addon_list(category=category, limit=STOREFRONT_ADDONS),
        # The widget is embedded as any third-party site would: one script tag naming this server.
        "widget_server": f"{request.scheme}://{request.get_host()}",
    }
    return render(request, "marketplace/storefront.html", context)

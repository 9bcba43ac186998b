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
    }
    return render(request, "marketplace/storefront.html", context)

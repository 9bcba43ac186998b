"""GET /api/recommend: the recommendation engine over HTTP for integrators."""

from __future__ import annotations

import functools
import re

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from marketplace.models import Category
from marketplace.ratelimit import ClientLimiter
from retrieval.cards import addon_card
from retrieval.query import MAX_QUERY_CHARS, Filters
from retrieval.recommend import recommend

MAX_K = 50
MAX_EXCLUDED = 200
SLUG = re.compile(r"^[\w-]{1,255}$")
TRUE, FALSE = {"1", "true", "yes"}, {"0", "false", "no", ""}


class BadParameter(ValueError):
    pass


def _flag(request: HttpRequest, name: str) -> bool:
    value = request.GET.get(name, "").strip().lower()
    if value not in TRUE | FALSE:
        raise BadParameter(f"{name} must be 1 or 0")
    return value in TRUE


def _number(request: HttpRequest, name: str, cast, low, high, default):
    raw = request.GET.get(name, "").strip()
    if not raw:
        return default
    try:
        value = cast(raw)
    except ValueError as exc:
        raise BadParameter(f"{name} must be a number") from exc
    if not low <= value <= high:
        raise BadParameter(f"{name} must be between {low} and {high}")
    return value


def _parse(request: HttpRequest) -> tuple[str, int, Filters, list[str]]:
    query = request.GET.get("q", "").strip()
    if not query:
        raise BadParameter("q is required: describe what the add-on should do")
    if len(query) > MAX_QUERY_CHARS:
        raise BadParameter(f"q is longer than {MAX_QUERY_CHARS} characters")
    category = request.GET.get("category", "").strip()
    if category and not Category.objects.filter(slug=category).exists():
        raise BadParameter(f"unknown category {category!r}")
    exclude = [slug.strip() for slug in request.GET.get("exclude", "").split(",") if slug.strip()]
    if len(exclude) > MAX_EXCLUDED or not all(SLUG.match(slug) for slug in exclude):
        raise BadParameter(f"exclude must be up to {MAX_EXCLUDED} comma-separated slugs")
    filters = Filters(
        category=category,
        min_rating=_number(request, "min_rating", float, 0, 5, None),
        free_only=_flag(request, "free"),
        no_all_sites=_flag(request, "no_all_sites"),
    )
    return query, _number(request, "k", int, 1, MAX_K, 5), filters, exclude


@functools.lru_cache(maxsize=2)
def _limiter(limit: int, window: float) -> ClientLimiter:
    return ClientLimiter(limit=limit, window=window)


@require_GET
def recommend_view(request: HttpRequest) -> JsonResponse:
    if not _limiter(settings.API_RATE_LIMIT, settings.API_RATE_WINDOW).allow(request.META.get("REMOTE_ADDR", "")):
        response = JsonResponse(
            {"error": {"code": "rate_limited", "message": "Too many requests; slow down."}}, status=429
        )
        response["Retry-After"] = str(int(settings.API_RATE_WINDOW))
        return response
    try:
        query, k, filters, exclude = _parse(request)
    except BadParameter as exc:
        return JsonResponse({"error": {"code": "bad_request", "message": str(exc)}}, status=400)
    results = recommend(query, k=k, filters=filters, exclude=exclude)
    return JsonResponse(
        {
            "query": query,
            "results": [{**addon_card(result.addon, query=query), "score": result.score} for result in results],
        }
    )

"""CHAT_ALLOWED_ORIGINS: the websocket origin check and CORS on /api/."""

from __future__ import annotations

import pytest
from channels.testing import WebsocketCommunicator

from marketplace.asgi import application
from marketplace.origins import origin_allowed, origin_normalize

PARTNER = "https://shop.example.com"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("https://Shop.Example.com", "https://shop.example.com"),
        ("https://shop.example.com:443", "https://shop.example.com"),
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000"),
        ("http://[::1]:8000", "http://[::1]:8000"),
        ("null", ""),
        ("file://", ""),
        ("https://shop.example.com/path", ""),
        ("https://user@shop.example.com", ""),
        ("http://host:99999", ""),
    ],
)
def test_origin_normalize(raw, expected):
    assert origin_normalize(raw) == expected


@pytest.mark.parametrize(
    "origin, allowed, expected",
    [
        (PARTNER, [PARTNER], True),
        ("https://shop.example.com:443", [PARTNER], True),
        ("http://shop.example.com", [PARTNER], False),  # another scheme is another origin
        ("https://shop.example.com:8443", [PARTNER], False),
        ("https://evil.com", [PARTNER], False),
        ("https://shop.example.com.evil.com", [PARTNER], False),
        ("https://a.example.com", ["https://*.example.com"], True),
        ("https://example.com", ["https://*.example.com"], False),
        ("https://aexample.com", ["https://*.example.com"], False),
        ("https://anything.org", ["*"], True),
        ("null", ["*"], False),  # sandboxed frames and file pages never pass
        ("", [], True),  # no Origin: not a browser page (servers, curl)
    ],
)
def test_origin_allowed(origin, allowed, expected):
    assert origin_allowed(origin, allowed=allowed) is expected


def test_a_page_on_this_server_is_always_allowed():
    assert origin_allowed("http://chat.example.org:8080", host="chat.example.org:8080", allowed=[])
    assert origin_allowed("https://chat.example.org", host="chat.example.org:443", allowed=[])
    assert not origin_allowed("https://evil.com", host="chat.example.org", allowed=[])


async def _handshake(origin: str | None) -> bool:
    headers = [(b"host", b"chat.example.org")] + ([(b"origin", origin.encode())] if origin is not None else [])
    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=headers)
    connected, _ = await communicator.connect(timeout=10)
    await communicator.disconnect()
    return connected


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "origin, expected", [(PARTNER, True), ("https://evil.com", False), ("http://chat.example.org", True), (None, True)]
)
async def test_websocket_origin_check(settings, origin, expected):
    settings.CHAT_ALLOWED_ORIGINS = [PARTNER]
    settings.ALLOWED_HOSTS = ["chat.example.org"]  # the server's own name, as a deployment sets it
    assert await _handshake(origin) is expected


@pytest.fixture
def partner_only(settings):
    settings.CHAT_ALLOWED_ORIGINS = [PARTNER]


@pytest.mark.django_db
def test_cors_headers_for_an_allowed_origin(client, partner_only):
    response = client.get("/api/recommend", {"q": ""}, HTTP_ORIGIN=PARTNER)
    assert response.status_code == 400  # the view still answers; CORS only adds headers
    assert response["Access-Control-Allow-Origin"] == PARTNER
    assert "Origin" in response["Vary"]


@pytest.mark.django_db
def test_cors_refuses_other_origins(client, partner_only):
    response = client.get("/api/recommend", {"q": "dark mode"}, HTTP_ORIGIN="https://evil.com")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in response
    assert "Origin" in response["Vary"]


def test_cors_preflight(client, partner_only):
    response = client.options(
        "/api/recommend",
        HTTP_ORIGIN=PARTNER,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type",
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == PARTNER
    assert "GET" in response["Access-Control-Allow-Methods"]
    assert response["Access-Control-Max-Age"] == "600"
    refused = client.options("/api/recommend", HTTP_ORIGIN="https://evil.com", HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET")
    assert refused.status_code == 403
    assert "Access-Control-Allow-Origin" not in refused


@pytest.mark.django_db
def test_no_cors_outside_the_api_and_without_origin(client, partner_only):
    page = client.get("/", HTTP_ORIGIN="https://evil.com")
    assert page.status_code == 200 and "Access-Control-Allow-Origin" not in page
    same_site = client.get("/api/recommend", {"q": ""})
    assert same_site.status_code == 400 and "Access-Control-Allow-Origin" not in same_site

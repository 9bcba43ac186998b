"""Requests no page makes: answered 400/403/404, never a 500 (issue: hardening)."""

from __future__ import annotations

import pytest
from channels.testing import HttpCommunicator, WebsocketCommunicator
from django.test import AsyncClient

from marketplace.asgi import application

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("path", ["/ws/other/", "/ws/", "/ws/chat/extra"])
async def test_a_websocket_to_another_path_is_refused_cleanly(path):
    communicator = WebsocketCommunicator(application, path)
    connected, _ = await communicator.connect()
    assert not connected


async def test_the_chat_path_without_its_slash_connects(settings):
    settings.LLM_BACKEND = "template"
    communicator = WebsocketCommunicator(application, "/ws/chat")
    connected, _ = await communicator.connect()
    assert connected and (await communicator.receive_json_from(timeout=10))["type"] == "session"
    await communicator.disconnect()


async def test_a_websocket_for_another_host_is_refused_even_with_a_matching_origin():
    headers = [(b"host", b"evil.example"), (b"origin", b"http://evil.example")]
    communicator = WebsocketCommunicator(application, "/ws/chat/", headers=headers)
    connected, _ = await communicator.connect()
    assert not connected
    allowed = WebsocketCommunicator(
        application, "/ws/chat/", headers=[(b"host", b"127.0.0.1:8000"), (b"origin", b"http://127.0.0.1:8000")]
    )
    assert (await allowed.connect())[0]
    await allowed.disconnect()


@pytest.mark.parametrize("path", ["/static/..%2f..%2fmarketplace/settings.py", "/static/../manage.py"])
async def test_a_static_path_that_climbs_out_is_refused_and_never_served(path):
    response = await HttpCommunicator(application, "GET", path).get_response(timeout=10)
    assert response["status"] in {400, 404} and b"SECRET_KEY" not in response["body"]


async def test_a_thousand_query_parameters_are_a_400(demo_catalog):
    query = "&".join(f"p{n}=1" for n in range(1500))
    response = await AsyncClient().get(f"/api/recommend?q=ads&{query}")
    assert response.status_code == 400

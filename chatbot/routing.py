"""Websocket routes: the chat (with or without its trailing slash); any other path is refused."""

from django.urls import re_path

from chatbot.consumers import ChatConsumer, NoSuchEndpoint

websocket_urlpatterns = [
    re_path(r"^ws/chat/?$", ChatConsumer.as_asgi()),
    re_path(r"", NoSuchEndpoint.as_asgi()),  # a clean refusal (HTTP 403) instead of "No route found" and a 500
]

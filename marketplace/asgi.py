"""ASGI entry point: HTTP through Django, websockets through Channels."""

import os

from asgiref.sync import sync_to_async
from channels.routing import ProtocolTypeRouter, URLRouter
from django.conf import settings
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.asgi import get_asgi_application
from django.core.exceptions import SuspiciousOperation
from django.core.handlers.exception import response_for_exception

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")


class StaticFiles(ASGIStaticFilesHandler):
    """/static/ as Django serves it, but a path that escapes the folder is a 400, as any view's would be."""

    async def get_response_async(self, request):
        try:
            return await super().get_response_async(request)
        except SuspiciousOperation as error:
            return await sync_to_async(response_for_exception, thread_sensitive=False)(request, error)


django_asgi_app = get_asgi_application()
if settings.SERVE_STATIC:
    # The web server serves /static/ itself unless a CDN or proxy does (SERVE_STATIC=0).
    django_asgi_app = StaticFiles(django_asgi_app)

from chatbot.routing import websocket_urlpatterns  # noqa: E402 - needs the app registry ready
from marketplace.origins import WebsocketOriginValidator  # noqa: E402

if settings.CHAT_WARM_ON_START:  # make prod: each web process loads its models before its first visitor
    from chatbot.turns import turn_warm_later

    turn_warm_later()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": WebsocketOriginValidator(URLRouter(websocket_urlpatterns)),  # CHAT_ALLOWED_ORIGINS
    }
)

"""Load the reply model once, so the GGUF conversion happens before the first visitor, not during."""

from django.core.management.base import BaseCommand

from chatbot.llm.runner import backend_warm


class Command(BaseCommand):
    help = "Convert and load the active reply model (LLM_BACKEND) so chat replies start without waiting for it."

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"reply model ready: {backend_warm()}")

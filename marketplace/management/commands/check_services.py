"""make prod's first step: stop with a clear list when a service it needs is missing."""

from __future__ import annotations

import os

from django.core.management.base import BaseCommand, CommandError

from marketplace.preflight import preflight


class Command(BaseCommand):
    help = "Check that PostgreSQL (DATABASE_URL), Redis (REDIS_URL) and the programs make prod runs are there."

    def handle(self, *args, **options) -> None:
        problems = preflight(database_url=os.environ.get("DATABASE_URL", ""), redis_url=os.environ.get("REDIS_URL", ""))
        if problems:
            raise CommandError("make prod cannot start:\n  " + "\n  ".join(str(problem) for problem in problems))
        self.stdout.write("services: ok")

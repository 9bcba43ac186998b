from django.core.management.base import BaseCommand, CommandError

from retrieval.sync import index_drift


class Command(BaseCommand):
    help = "Report drift between the active catalogue and the search index; exits non-zero when there is any."

    def handle(self, *args, **options) -> None:
        try:
            drift = index_drift()
        except Exception as error:  # noqa: BLE001 - whatever broke, the operator gets its name and the cure
            raise CommandError(
                f"the search index cannot be read ({type(error).__name__}: {error}); "
                "run `manage.py build_index --rebuild` to build it again"
            ) from error
        for label, slugs in (
            ("missing from the index", drift.missing),
            ("stale in the index", drift.stale),
            ("in the index but not in the catalogue", drift.extra),
        ):
            if slugs:
                shown = ", ".join(slugs[:10]) + (f" and {len(slugs) - 10} more" if len(slugs) > 10 else "")
                self.stdout.write(f"{len(slugs)} {label}: {shown}")
        if drift.total:
            raise CommandError(f"index drift: {drift.total} add-on(s); run `manage.py build_index`")
        self.stdout.write("Index and catalogue agree.")

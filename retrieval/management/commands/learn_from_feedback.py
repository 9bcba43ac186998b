from django.core.management.base import BaseCommand
from django.db.models import Count

from retrieval.models import Evidence
from retrieval.selectors import feedback_memory
from retrieval.services import evidence_prune


class Command(BaseCommand):
    help = (
        "Apply the visitors' feedback gathered so far to the ranking now: drop evidence too old to count and "
        "rebuild the memory (servers pick new evidence up on their own within FEEDBACK_REFRESH_SECONDS)."
    )

    def handle(self, *args, **options) -> None:
        pruned = evidence_prune()
        memory = feedback_memory()
        clients = Evidence.objects.values("client").distinct().count()
        self.stdout.write(
            f"Feedback memory: {len(memory)} pieces of evidence from {clients} visitors ({pruned} too old, dropped)."
        )
        top = (
            Evidence.objects.exclude(signal=Evidence.Signal.DOWN)
            .values("addon__slug")
            .annotate(visitors=Count("client", distinct=True))
            .order_by("-visitors", "addon__slug")[:10]
        )
        for row in top:
            self.stdout.write(f"  {row['addon__slug']}: favoured by {row['visitors']} visitor(s)")

"""Admin pages render for staff, are refused to everyone else, and "Re-scrape now" only enqueues."""

from __future__ import annotations

import pytest
from django.urls import reverse

from marketplace.models import Addon
from marketplace.records import AddonRecord
from marketplace.services import addon_upsert
from scraper.models import ScrapeRun

pytestmark = pytest.mark.django_db

PAGES = [
    "admin:marketplace_addon_changelist",
    "admin:marketplace_category_changelist",
    "admin:scraper_scraperun_changelist",
]


@pytest.fixture
def addon() -> Addon:
    record = AddonRecord(
        slug="icon-one",
        name="Icon One",
        icon_url="https://example.org/i.png",
        categories=["tabs"],
        average_daily_users=5,
        rating=4.0,
        rating_count=2,
    )
    return addon_upsert(record=record)[0]


def test_staff_sees_what_each_list_holds(admin_client, addon):
    ScrapeRun.objects.create(kind=ScrapeRun.Kind.IMPORT, status=ScrapeRun.Status.SUCCEEDED, created=7)
    addons, categories, runs = (admin_client.get(reverse(page)).content.decode() for page in PAGES)
    assert "Icon One" in addons and "icon-one" in addons and "Rebuild index" in addons
    assert ">Tabs<" in categories and ">tabs<" in categories
    assert "Import AMO API JSON" in runs and "Succeeded" in runs and "Re-scrape now" in runs


def test_addon_list_shows_thumbnails_filters_and_search(admin_client, addon):
    page = admin_client.get(reverse("admin:marketplace_addon_changelist"), {"q": "icon", "free": "1"}).content.decode()
    assert 'src="https://example.org/i.png"' in page
    assert "Icon One" in page
    assert "By price" in page and "By categories" in page


def test_addon_list_sorts_by_users(admin_client, addon):
    addon_upsert(record=AddonRecord(slug="many-users", name="Many Users", average_daily_users=900))
    by_users = admin_client.get(reverse("admin:marketplace_addon_changelist"), {"o": "-4"}).content.decode()
    assert by_users.index("Many Users") < by_users.index("Icon One")
    by_fewest = admin_client.get(reverse("admin:marketplace_addon_changelist"), {"o": "4"}).content.decode()
    assert by_fewest.index("Icon One") < by_fewest.index("Many Users")


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_users_are_sent_to_login(client, page):
    response = client.get(reverse(page))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_rescrape_now_enqueues_a_scrape_task(admin_client, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:scraper_scraperun_rescrape"))
    assert response.status_code == 302
    run = ScrapeRun.objects.get()
    assert (run.kind, run.trigger, run.status) == ("scrape", "admin", "pending")
    assert sent == [("scraper.tasks.scrape_run_execute", (run.pk,))]


def test_rescrape_is_refused_to_anonymous_and_get(client, admin_client):
    assert client.post(reverse("admin:scraper_scraperun_rescrape")).status_code == 302
    assert admin_client.get(reverse("admin:scraper_scraperun_rescrape")).status_code == 405
    assert not ScrapeRun.objects.exists()


def test_rerun_action_enqueues_with_same_params(admin_client, sent, django_capture_on_commit_callbacks):
    old = ScrapeRun.objects.create(kind="scrape", params={"category": "tabs", "pages": 2}, status="failed")
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            reverse("admin:scraper_scraperun_changelist"), {"action": "rerun", "_selected_action": [old.pk]}
        )
    new = ScrapeRun.objects.exclude(pk=old.pk).get()
    assert new.params == old.params and new.trigger == "admin"
    assert sent == [("scraper.tasks.scrape_run_execute", (new.pk,))]


@pytest.mark.parametrize(
    "model", ["scraper_scraperun", "chatbot_conversation", "training_trainingrun", "training_modelversion"]
)
def test_history_pages_refuse_adding_even_to_a_superuser(admin_client, model):
    assert admin_client.get(reverse(f"admin:{model}_add")).status_code == 403


def test_a_scrape_run_is_shown_read_only_and_a_posted_edit_changes_nothing(admin_client):
    run = ScrapeRun.objects.create(kind="scrape", params={"pages": 1}, status="failed", failure="timed out")
    url = reverse("admin:scraper_scraperun_change", args=[run.pk])
    page = admin_client.get(url)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    assert admin_client.post(url, {"status": "succeeded", "failure": ""}).status_code == 403
    run.refresh_from_db()
    assert (run.status, run.failure) == ("failed", "timed out")


def test_a_staff_user_who_may_only_view_scrape_runs_cannot_start_one(client, sent, django_capture_on_commit_callbacks):
    from django.contrib.auth.models import Permission, User

    viewer = User.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_scraperun"))
    old = ScrapeRun.objects.create(kind=ScrapeRun.Kind.SCRAPE, params={"pages": 1})
    client.force_login(viewer)
    with django_capture_on_commit_callbacks(execute=True):
        refused = client.post(reverse("admin:scraper_scraperun_rescrape"), follow=True)
        client.post(reverse("admin:scraper_scraperun_changelist"), {"action": "rerun", "_selected_action": [old.pk]})
    assert "You may not start scrapes." in refused.content.decode()
    assert ScrapeRun.objects.count() == 1 and sent == []
    viewer.user_permissions.add(Permission.objects.get(codename="add_scraperun"))
    viewer = User.objects.get(pk=viewer.pk)  # permissions are cached per user object
    client.force_login(viewer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:scraper_scraperun_rescrape"))
    assert ScrapeRun.objects.count() == 2 and len(sent) == 1


def test_wrong_admin_passwords_lock_the_login_out_even_for_the_right_one(client, settings):
    from django.contrib.auth.models import User

    User.objects.create_superuser("boss", password="a-long-and-right-passphrase")
    login = reverse("admin:login")
    limit = settings.AXES_FAILURE_LIMIT
    codes = [client.post(login, {"username": "boss", "password": "guess"}).status_code for _ in range(limit)]
    assert codes == [200] * (limit - 1) + [429]  # the form with its error, until the limit locks the pair out
    locked = client.post(login, {"username": "boss", "password": "a-long-and-right-passphrase"})
    assert locked.status_code == 429 and "_auth_user_id" not in client.session


def test_passwords_must_pass_the_validators():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_password("12345678")

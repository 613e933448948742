import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from emograph.ops.services import heartbeat_record

pytestmark = pytest.mark.django_db

PUBLIC = {"login", "healthz", "password_reset", "password_reset_done", "password_reset_complete"}


def named_urls_without_arguments(resolver=None, namespace=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from named_urls_without_arguments(entry, ns)
        elif isinstance(entry, URLPattern) and entry.name and not entry.pattern.regex.groups:
            yield namespace + entry.name


def test_every_page_requires_login_except_the_public_ones(client):
    checked = 0
    for name in named_urls_without_arguments():
        if name.split(":")[-1] in PUBLIC or name == "logout":
            continue
        url = reverse(name)
        response = client.get(url)
        if url.startswith("/api/"):  # API clients get a status, not a login page
            assert response.status_code == 401, (name, response.status_code)
        else:
            assert response.status_code == 302, (name, response.status_code)
            assert "/login/" in response["Location"], name
        checked += 1
    assert checked >= 5  # the overview and the admin pages at least


def test_demo_login_then_overview(client, user):
    response = client.post(
        reverse("login"), {"username": user.username, "password": "a-long-test-password"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard:home")
    page = client.get(reverse("dashboard:home"))
    assert page.status_code == 200
    assert b"Overview" in page.content
    assert b"No posts yet" in page.content


def test_wrong_password_is_refused(client, user):
    response = client.post(reverse("login"), {"username": user.username, "password": "nope"})
    assert response.status_code == 200
    assert b"didn't match" in response.content


def test_overview_lists_workers(client, user):
    heartbeat_record(hostname="celery@gpu-box", queue="gpu")
    client.force_login(user)
    page = client.get(reverse("dashboard:home"))
    assert b"celery@gpu-box" in page.content
    assert b">up<" in page.content


def test_healthz_needs_no_login(client):
    response = client.get(reverse("ops:healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_overview_draws_the_content_emotion_mix(client, user):
    from emograph.emotions.services import prediction_record

    from ..factories import PostFactory

    for probabilities in (
        [0.7, 0, 0, 0.3, 0, 0, 0],
        [0.6, 0, 0, 0.4, 0, 0, 0],
        [0, 0, 0, 1, 0, 0, 0],
    ):
        prediction_record(
            post=PostFactory(),
            stage="content",
            model_name="m",
            model_version="1",
            probabilities=probabilities,
        )
    client.force_login(user)
    page = client.get(reverse("dashboard:home")).content.decode()
    assert 'class="emo-anger" style="width: 67%"' in page
    assert 'class="emo-joy" style="width: 33%"' in page
    assert 'class="emo-fear" style="width: 0%"' in page

import pytest
from django.contrib import admin
from django.urls import reverse

from ..factories import PostFactory

pytestmark = pytest.mark.django_db


def test_every_admin_changelist_and_search_renders(client, admin_user):
    PostFactory()
    client.force_login(admin_user)
    for model in admin.site._registry:
        meta = model._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url
        assert client.get(url, {"q": "x"}).status_code == 200, url


def test_post_change_page_shows_inlines(client, admin_user):
    post = PostFactory(text="hello <b>world</b>")
    client.force_login(admin_user)
    page = client.get(reverse("admin:social_post_change", args=[post.pk]))
    assert page.status_code == 200
    assert b"hello &lt;b&gt;world&lt;/b&gt;" in page.content  # escaped, never raw HTML

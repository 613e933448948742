import pytest
from django.contrib.auth.models import Group
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from emograph.social.models import Post

from ..factories import UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/posts"
T = "2026-11-01T08:00:00Z"


def client_for(role):
    user = UserFactory()
    user.groups.add(Group.objects.get(name=role))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_batch_gets_one_result_per_item():
    client = client_for("analyst")
    items = [
        {"id": "1", "created_at": T, "text": "hello"},
        {"id": "2", "created_at": "2026-11-01 08:00", "text": "no zone"},
        {"id": "3", "created_at": T, "text": "reply", "parent_id": "1", "author": "u9"},
        "not an object",
    ]
    response = client.post(URL + "?source=twitter", items, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["counts"] == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 2}
    assert [(r["index"], r["id"], r["status"]) for r in body["results"]] == [
        (0, "1", "created"),
        (1, "2", "rejected"),
        (2, "3", "created"),
        (3, None, "rejected"),
    ]
    assert "field 'created_at'" in body["results"][1]["error"]
    assert "has no time zone" in body["results"][1]["error"]
    assert body["results"][3]["error"] == "request, line 4: each item must be a JSON object"
    assert Post.objects.get(external_id="3").parent.external_id == "1"
    again = client.post(URL, {"posts": items[:1]}, QUERY_STRING="source=twitter", format="json")
    assert again.json()["results"] == [{"index": 0, "id": "1", "status": "unchanged"}]


def test_batch_limits_and_shapes():
    client = client_for("admin")
    too_many = [{"id": str(i), "created_at": T, "text": "x"} for i in range(1001)]
    response = client.post(URL + "?source=t", too_many, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == "1001 posts in one batch; the limit is 1000."
    assert client.post(URL, {"nope": 1}, format="json").status_code == 400
    assert not Post.objects.exists()


def test_needs_a_token_and_the_import_role():
    assert APIClient().post(URL, [], format="json").status_code == 401
    response = client_for("viewer").post(URL, [{"id": "1"}], format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == "Importing needs the analyst or admin role."

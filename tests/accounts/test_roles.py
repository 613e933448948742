import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from emograph.accounts.roles import ROLES

from ..factories import UserFactory

pytestmark = pytest.mark.django_db


def codenames(group_name):
    return set(Group.objects.get(name=group_name).permissions.values_list("codename", flat=True))


def test_migration_created_the_three_role_groups():
    assert set(Group.objects.filter(name__in=ROLES).values_list("name", flat=True)) == set(ROLES)


def test_role_permissions_are_nested():
    viewer, analyst, admin = codenames("viewer"), codenames("analyst"), codenames("admin")
    assert {"view_post", "view_emotionprediction", "view_importjob"} <= viewer
    assert not any(c.startswith(("add_", "change_", "delete_")) for c in viewer)
    assert viewer < analyst < admin
    assert {"add_emotionprediction", "change_emotionprediction", "add_importjob"} <= analyst
    assert "delete_post" not in analyst
    assert {"delete_post", "change_user", "add_user"} <= admin


def test_ensure_admin_creates_then_leaves_password_alone(settings):
    call_command("ensure_admin", username="boss", password="first-password-123")
    user = UserFactory._meta.model.objects.get(username="boss")
    assert user.is_superuser
    assert user.is_staff
    assert user.groups.filter(name="admin").exists()
    call_command("ensure_admin", username="boss", password="another-password-456")
    user.refresh_from_db()
    assert user.check_password("first-password-123")  # reruns don't clobber a changed password
    call_command(
        "ensure_admin", username="boss", password="another-password-456", reset_password=True
    )
    user.refresh_from_db()
    assert user.check_password("another-password-456")


def test_ensure_admin_needs_a_password_for_a_new_user():
    with pytest.raises(CommandError, match="A password is needed"):
        call_command("ensure_admin", username="nobody", password=None)


def test_ensure_admin_refuses_weak_passwords_outside_the_demo(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="Password rejected"):
        call_command("ensure_admin", username="weak", password="demo")

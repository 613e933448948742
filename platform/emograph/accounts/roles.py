"""The three roles, as Django groups.

viewer  - reads dashboards and data.
analyst - viewer, plus annotating emotions (human predictions), starting imports and
          acknowledging or resolving alerts.
admin   - everything in EmoGraph's apps, plus managing users.

Groups are created by a data migration; their permissions are (re)applied after every
`migrate`, so models added later are covered without another data migration.
"""

VIEWER, ANALYST, ADMIN = "viewer", "analyst", "admin"
ROLES = (VIEWER, ANALYST, ADMIN)

PROJECT_APPS = ("social", "emotions", "monitoring", "dashboard", "ops", "ingest")
# Permissions each role holds on the project apps: an action ("view") or a full codename.
GRANTS = {
    VIEWER: {"view"},
    ANALYST: {
        "view",
        "add_emotionprediction",
        "change_emotionprediction",
        "add_importjob",
        "change_alert",
    },  # acknowledge and resolve alerts
    ADMIN: {"view", "add", "change", "delete"},
}
ADMIN_AUTH_GRANTS = {"view", "add", "change", "delete"}  # users and groups


def role_has(role, *, app_label, codename):
    if app_label == "auth":
        return role == ADMIN and codename.split("_", 1)[0] in ADMIN_AUTH_GRANTS
    if app_label not in PROJECT_APPS:
        return False
    grants = GRANTS[role]
    return codename in grants or codename.split("_", 1)[0] in grants


def sync_role_permissions(sender, apps=None, using="default", **kwargs):
    """post_migrate receiver: give each role group the permissions of `sender`'s models."""
    if sender.label not in (*PROJECT_APPS, "auth"):
        return
    from django.contrib.auth.models import Group, Permission

    permissions = list(Permission.objects.using(using).filter(content_type__app_label=sender.label))
    for group in Group.objects.using(using).filter(name__in=ROLES):
        wanted = [
            p
            for p in permissions
            if role_has(group.name, app_label=sender.label, codename=p.codename)
        ]
        group.permissions.add(*wanted)

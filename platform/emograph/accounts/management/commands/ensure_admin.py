"""Create (or repair) an administrator account; safe to run on every start."""

import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from emograph.accounts.roles import ADMIN


class Command(BaseCommand):
    help = (
        "Ensure an admin user exists, in the admin group, staff and superuser. The password is "
        "taken from --password or $EMOGRAPH_ADMIN_PASSWORD and set only when the user is new "
        "(or with --reset-password)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--username", default=os.environ.get("EMOGRAPH_ADMIN_USERNAME", "admin")
        )
        parser.add_argument("--email", default=os.environ.get("EMOGRAPH_ADMIN_EMAIL", ""))
        parser.add_argument("--password", default=os.environ.get("EMOGRAPH_ADMIN_PASSWORD"))
        parser.add_argument("--reset-password", action="store_true")

    @transaction.atomic
    def handle(self, *, username, email, password, reset_password, **options):
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        created = user is None
        if created:
            user = User(username=username, email=email)
        if created or reset_password:
            if not password:
                raise CommandError(
                    "A password is needed for a new admin: --password or $EMOGRAPH_ADMIN_PASSWORD."
                )
            if not settings.DEBUG:  # the demo's "demo" password is fine; production's is not
                try:
                    validate_password(password, user)
                except ValidationError as error:
                    raise CommandError("Password rejected: " + " ".join(error.messages)) from None
            user.set_password(password)
        user.is_staff = user.is_superuser = user.is_active = True
        user.save()
        user.groups.add(Group.objects.get(name=ADMIN))
        verb = "Created" if created else "Updated"
        self.stdout.write(self.style.SUCCESS(f"{verb} admin user {username!r}."))

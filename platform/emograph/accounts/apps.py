from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "emograph.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"

    def ready(self):
        from .roles import sync_role_permissions

        # Permissions of models added by later migrations reach the role groups too.
        post_migrate.connect(sync_role_permissions, dispatch_uid="emograph.accounts.sync_roles")

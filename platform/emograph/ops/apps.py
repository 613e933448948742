from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "emograph.ops"
    label = "ops"
    verbose_name = "Operations"

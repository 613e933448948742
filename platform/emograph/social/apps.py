from django.apps import AppConfig


class SocialConfig(AppConfig):
    name = "emograph.social"
    label = "social"
    verbose_name = "Social data"

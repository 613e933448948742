from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "emograph.dashboard"
    label = "dashboard"
    verbose_name = "Dashboard"

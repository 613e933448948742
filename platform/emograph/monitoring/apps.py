from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "emograph.monitoring"
    label = "monitoring"
    verbose_name = "Monitoring"

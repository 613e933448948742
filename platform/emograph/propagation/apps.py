from django.apps import AppConfig


class PropagationConfig(AppConfig):
    name = "emograph.propagation"
    label = "propagation"
    verbose_name = "Graph propagation"

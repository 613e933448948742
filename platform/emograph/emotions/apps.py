from django.apps import AppConfig


class EmotionsConfig(AppConfig):
    name = "emograph.emotions"
    label = "emotions"
    verbose_name = "Emotions"

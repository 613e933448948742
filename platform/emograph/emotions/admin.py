from django.contrib import admin

from .models import EmotionPrediction


@admin.register(EmotionPrediction)
class EmotionPredictionAdmin(admin.ModelAdmin):
    list_display = [
        "post",
        "stage",
        "label",
        "confidence",
        "model_name",
        "model_version",
        "created_at",
    ]
    list_filter = ["stage", "label", "model_name", "model_version"]
    search_fields = ["post__external_id", "model_name"]
    raw_id_fields = ["post", "annotator"]
    list_select_related = ["post"]
    date_hierarchy = "created_at"
    show_full_result_count = False

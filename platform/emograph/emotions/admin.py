from django.contrib import admin

from .models import EmotionPrediction, PostEmbedding


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


@admin.register(PostEmbedding)
class PostEmbeddingAdmin(admin.ModelAdmin):
    """Read-only: embeddings are written by scoring, never by hand."""

    list_display = ["post", "modality", "model_name", "model_version", "dim", "created_at"]
    list_filter = ["modality", "model_name", "model_version"]
    search_fields = ["post__external_id"]
    raw_id_fields = ["post"]
    exclude = ["vector"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

from django.contrib import admin

from .models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "channel",
        "format",
        "original_name",
        "status",
        "rows_created",
        "rows_updated",
        "rows_unchanged",
        "rows_rejected",
        "created_at",
    ]
    list_filter = ["status", "channel", "format"]
    search_fields = ["original_name"]
    readonly_fields = ["created_at", "started_at", "finished_at"]
    raw_id_fields = ["created_by"]

from django.contrib import admin

from .models import WorkerHeartbeat


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["hostname", "queue", "pid", "python_version", "seen_at"]
    list_filter = ["queue"]
    search_fields = ["hostname"]
    readonly_fields = [f.name for f in WorkerHeartbeat._meta.fields]

import datetime as dt

from django.contrib import admin, messages
from django.utils import timezone

from emograph.social.admin import TopicAdmin
from emograph.social.models import Topic

from .models import PropagationRun
from .services import propagation_run_create

ON_DEMAND_DAYS = 7


@admin.register(PropagationRun)
class PropagationRunAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status", "posts", "written", "skipped", "model_version",
                    "created_at", "finished_at"]  # fmt: skip
    list_filter = ["status"]
    readonly_fields = [f.name for f in PropagationRun._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.action(description=f"Propagate emotion over the last {ON_DEMAND_DAYS} days")
def propagate_topics(modeladmin, request, queryset):
    end = timezone.now()
    for topic in queryset:
        propagation_run_create(
            window_start=end - dt.timedelta(days=ON_DEMAND_DAYS),
            window_end=end,
            topic=topic,
            requested_by=request.user,
        )
    modeladmin.message_user(
        request, f"{queryset.count()} propagation run(s) queued.", messages.SUCCESS
    )


admin.site.unregister(Topic)


@admin.register(Topic)
class TopicWithPropagationAdmin(TopicAdmin):
    actions = [propagate_topics]

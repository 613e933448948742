from django.contrib import admin, messages

from .alerts import alert_acknowledge, alert_resolve
from .assign import watchlist_changed
from .models import Alert, Notification, Subscription, WatchlistRule
from .tasks import send_notification


@admin.register(WatchlistRule)
class WatchlistRuleAdmin(admin.ModelAdmin):
    """Rules are checked at save (ModelForm runs `clean`: bad or catastrophic patterns are
    refused with the reason) and applied to every stored post in the background."""

    list_display = ["topic", "kind", "pattern", "created_by", "created_at"]
    list_filter = ["kind", "topic"]
    search_fields = ["pattern", "topic__name"]
    readonly_fields = ["created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        obj.created_by = obj.created_by or request.user
        super().save_model(request, obj, form, change)
        watchlist_changed(topic_id=obj.topic_id)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        watchlist_changed(topic_id=obj.topic_id)

    def delete_queryset(self, request, queryset):
        topic_ids = set(queryset.values_list("topic_id", flat=True))
        super().delete_queryset(request, queryset)
        for topic_id in topic_ids:
            watchlist_changed(topic_id=topic_id)


@admin.action(description="Acknowledge the selected alerts")
def acknowledge(modeladmin, request, queryset):
    done = sum(alert_acknowledge(alert=a, user=request.user) for a in queryset)
    modeladmin.message_user(request, f"{done} alert(s) acknowledged.", messages.SUCCESS)


@admin.action(description="Resolve the selected alerts")
def resolve(modeladmin, request, queryset):
    done = sum(alert_resolve(alert=a, ended=None, user=request.user) for a in queryset)
    modeladmin.message_user(request, f"{done} alert(s) resolved.", messages.SUCCESS)


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "topic",
        "severity",
        "state",
        "emotion",
        "z",
        "peak_z",
        "detected_at",
        "ended_at",
    ]
    list_filter = ["state", "severity", "emotion", "stage"]
    search_fields = ["topic__name", "topic__slug"]
    list_select_related = ["topic"]
    readonly_fields = [f.name for f in Alert._meta.fields]
    actions = [acknowledge, resolve]

    def has_add_permission(self, request):
        return False


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["channel", "target", "topic", "min_severity", "active"]
    list_filter = ["channel", "active", "min_severity"]


@admin.action(description="Send the selected failed notifications again")
def retry(modeladmin, request, queryset):
    failed = list(queryset.filter(state=Notification.State.FAILED).values_list("id", flat=True))
    Notification.objects.filter(id__in=failed).update(state=Notification.State.PENDING, attempts=0)
    for notification_id in failed:
        send_notification.delay(notification_id)
    modeladmin.message_user(request, f"{len(failed)} notification(s) queued again.")


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["alert", "subscription", "event", "state", "attempts", "sent_at", "last_error"]
    list_filter = ["state", "event"]
    readonly_fields = [f.name for f in Notification._meta.fields]
    actions = [retry]

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("alert__topic", "subscription")

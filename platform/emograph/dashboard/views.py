import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from emograph.monitoring.alerts import alert_acknowledge, alert_resolve
from emograph.monitoring.models import Alert
from emograph.monitoring.selectors import (
    STEP,
    alerts_for_list,
    topic_latest_bucket,
    topic_series,
    topics_for_list,
    topics_negative_shift,
)
from emograph.ops.selectors import worker_list
from emograph.social.models import Topic

from .charts import line_chart
from .selectors import content_emotion_mix, overview_counts, recent_import_jobs

PAGE = 50
# Granularity -> how far back the chart reaches by default.
RANGES = {
    "hour": dt.timedelta(days=7),
    "day": dt.timedelta(days=30),
    "week": dt.timedelta(weeks=26),
}


def home(request):
    return render(
        request,
        "dashboard/home.html",
        {
            "counts": overview_counts(),
            "mix": content_emotion_mix(),
            "jobs": recent_import_jobs(),
            "workers": worker_list(),
            "open_alerts": alerts_for_list(state=Alert.State.OPEN)[:5],
        },
    )


def topics(request):
    kind = request.GET.get("kind", "")
    query = request.GET.get("q", "").strip()
    page = Paginator(topics_for_list(kind=kind or None, query=query), PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "dashboard/topics.html",
        {
            "page": page,
            "kind": kind,
            "q": query,
            "kinds": Topic.Kind.choices,
            "shifts": topics_negative_shift(now=timezone.now()),
        },
    )


def _moment(text):
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (AttributeError, ValueError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def topic(request, slug):
    topic = get_object_or_404(Topic, slug=slug)
    granularity = request.GET.get("by", "hour")
    granularity = granularity if granularity in RANGES else "hour"
    stage = request.GET.get("stage", "content")
    stage = stage if stage in ("content", "graph") else "content"
    focus = _moment(request.GET.get("focus"))
    latest = topic_latest_bucket(topic_id=topic.id, stage=stage, granularity=granularity)
    if focus:
        end = focus + RANGES[granularity] / 2
    else:  # end at the newest data: a topic that went quiet still shows its last weeks
        end = min(latest, timezone.now()) if latest else timezone.now()
    end = min(end, timezone.now()) + STEP[granularity]
    start = end - RANGES[granularity]
    series = topic_series(
        topic_id=topic.id, start=start, end=end, stage=stage, granularity=granularity
    )
    return render(
        request,
        "dashboard/topic.html",
        {
            "topic": topic,
            "series": series,
            "granularity": granularity,
            "stage": stage,
            "chart": line_chart(series, start=start, end=end, focus=focus),
            "recent": list(reversed(series))[:48],
            "alerts": topic.alerts.all()[:20],
            "rules": topic.rules.all(),
            "posts": sum(r["n"] for r in series),
        },
    )


def alerts(request):
    state = request.GET.get("state", "")
    page = Paginator(alerts_for_list(state=state or None), PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "dashboard/alerts.html",
        {"page": page, "state": state, "states": Alert.State.choices},
    )


def alert(request, pk):
    alert = get_object_or_404(Alert.objects.select_related("topic"), pk=pk)
    return render(
        request,
        "dashboard/alert.html",
        {
            "alert": alert,
            "x": alert.explanation,
            "notifications": alert.notifications.select_related("subscription"),
        },
    )


@require_POST
@permission_required("monitoring.change_alert", raise_exception=True)
def alert_transition(request, pk, action):
    alert = get_object_or_404(Alert, pk=pk)
    if action == "acknowledge":
        done = alert_acknowledge(alert=alert, user=request.user)
    else:
        done = alert_resolve(alert=alert, ended=None, user=request.user)
    if done:
        messages.success(request, f"Alert {alert.pk} {action}d.")
    else:
        messages.warning(request, f"Alert {alert.pk} was already {alert.get_state_display()}.")
    return redirect("dashboard:alert", pk=alert.pk)

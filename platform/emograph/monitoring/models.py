"""Monitoring: watchlist rules, hourly/daily/weekly emotion trend buckets per topic, crisis
alerts and their notifications."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from emograph.emotions.models import Stage
from emograph.emotions.taxonomy import EMOTIONS, NEGATIVE_EMOTIONS

from .rules import RuleError, rule_compile


class WatchlistRule(models.Model):
    """One rule of an admin-defined watchlist topic; a post joins the topic when any of its
    rules matches. Rules apply to past posts when saved and to new posts as they are scored."""

    class Kind(models.TextChoices):
        KEYWORD = "keyword", "Keyword or phrase"
        HASHTAG = "hashtag", "Hashtag"
        REGEX = "regex", "Regular expression (RE2)"

    topic = models.ForeignKey(
        "social.Topic",
        on_delete=models.CASCADE,
        related_name="rules",
        limit_choices_to={"kind": "watchlist"},
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.KEYWORD)
    pattern = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["topic", "kind", "pattern"], name="watchlist_rule_unique"
            )
        ]

    def __str__(self):
        return f"{self.topic_id} {self.kind}: {self.pattern}"

    def clean(self):
        if self.topic_id and self.topic.kind != "watchlist":
            raise ValidationError({"topic": "Rules belong to watchlist topics only."})
        try:
            rule_compile(self.kind, self.pattern)
        except RuleError as error:
            raise ValidationError({"pattern": str(error)}) from None


class TrendBucket(models.Model):
    """Emotion summary of one topic's posts in one hour, day or week (UTC) at one stage: the
    dashboards and the detector read these, never the raw predictions. Sums rather than means,
    so a bucket adds up from smaller ones; each post counts with its newest prediction."""

    class Granularity(models.TextChoices):
        HOUR = "hour", "Hour"
        DAY = "day", "Day"
        WEEK = "week", "Week"

    # No index of its own: trend_bucket_unique starts with topic and serves those lookups.
    topic = models.ForeignKey(
        "social.Topic", on_delete=models.CASCADE, related_name="buckets", db_index=False
    )
    stage = models.CharField(max_length=8, choices=Stage.choices)
    granularity = models.CharField(max_length=4, choices=Granularity.choices)
    start = models.DateTimeField()
    n = models.PositiveIntegerField(help_text="Posts with a prediction at this stage.")
    sum_anger = models.FloatField(default=0)
    sum_disgust = models.FloatField(default=0)
    sum_fear = models.FloatField(default=0)
    sum_joy = models.FloatField(default=0)
    sum_sadness = models.FloatField(default=0)
    sum_surprise = models.FloatField(default=0)
    sum_neutral = models.FloatField(default=0)
    n_anger = models.PositiveIntegerField(default=0, help_text="Posts labelled anger.")
    n_disgust = models.PositiveIntegerField(default=0)
    n_fear = models.PositiveIntegerField(default=0)
    n_joy = models.PositiveIntegerField(default=0)
    n_sadness = models.PositiveIntegerField(default=0)
    n_surprise = models.PositiveIntegerField(default=0)
    n_neutral = models.PositiveIntegerField(default=0)
    # Written by the detector for hourly buckets: its z-score and whether the hour was hot
    # (hot hours stay out of later baselines).
    z = models.FloatField(null=True, blank=True)
    hot = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["topic", "stage", "granularity", "start"], name="trend_bucket_unique"
            )
        ]
        indexes = [
            models.Index(fields=["stage", "granularity", "start"], name="trend_bucket_time"),
        ]

    def __str__(self):
        return f"{self.topic_id} {self.stage} {self.granularity} {self.start:%Y-%m-%d %H:%M}"

    @property
    def negative_share(self):
        return sum(getattr(self, f"n_{e}") for e in NEGATIVE_EMOTIONS) / self.n if self.n else 0.0

    @property
    def mean_probabilities(self):
        return {e: getattr(self, f"sum_{e}") / self.n if self.n else 0.0 for e in EMOTIONS}


BUCKET_SUMS = [f"sum_{e}" for e in EMOTIONS]
BUCKET_COUNTS = [f"n_{e}" for e in EMOTIONS]
BUCKET_VALUES = ["n", *BUCKET_SUMS, *BUCKET_COUNTS]


class DetectionCursor(models.Model):
    """The last hour the detector has judged for a topic: every complete hour is judged once,
    in order, and a missed run catches up."""

    topic = models.OneToOneField("social.Topic", on_delete=models.CASCADE)
    judged_until = models.DateTimeField()

    def __str__(self):
        return f"{self.topic_id} judged until {self.judged_until:%Y-%m-%d %H:00}"


class Alert(models.Model):
    """One crisis episode of one topic: opened by the detector, at most one open (or
    acknowledged) per topic, resolved by a person or when the topic is calm again."""

    class State(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    class Severity(models.TextChoices):
        WARNING = "warning", "Warning"
        MAJOR = "major", "Major"
        CRITICAL = "critical", "Critical"

    topic = models.ForeignKey("social.Topic", on_delete=models.CASCADE, related_name="alerts")
    stage = models.CharField(max_length=8, choices=Stage.choices)
    emotion = models.CharField(max_length=8, help_text="The series furthest above normal.")
    severity = models.CharField(max_length=8, choices=Severity.choices)
    state = models.CharField(max_length=12, choices=State.choices, default=State.OPEN)
    started_at = models.DateTimeField(help_text="Start of the first hot hour.")
    detected_at = models.DateTimeField(help_text="Start of the hour that opened the alert.")
    last_hour = models.DateTimeField(help_text="Latest hour judged part of the episode.")
    ended_at = models.DateTimeField(null=True, blank=True)
    observed = models.FloatField(help_text="Share of posts with the emotion, opening hour.")
    expected = models.FloatField()
    z = models.FloatField(help_text="z-score at opening.")
    peak_z = models.FloatField()
    explanation = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when the detector resolved it.",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-detected_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["topic"],
                condition=~models.Q(state="resolved"),
                name="alert_one_open_per_topic",
            )
        ]
        indexes = [models.Index(fields=["state", "-detected_at"], name="alert_state_time")]

    def __str__(self):
        return (
            f"{self.severity} {self.emotion} on {self.topic} at {self.detected_at:%Y-%m-%d %H:00}"
        )


class Subscription(models.Model):
    """Where alerts go: an email address or a webhook URL (signed with `secret`), for one topic
    or all of them, from a minimum severity up."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        WEBHOOK = "webhook", "Webhook"

    channel = models.CharField(max_length=8, choices=Channel.choices)
    target = models.CharField(max_length=500, help_text="Email address or https URL.")
    secret = models.CharField(max_length=200, blank=True, help_text="Webhook HMAC key.")
    topic = models.ForeignKey(
        "social.Topic",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        help_text="Empty: every topic.",
    )
    min_severity = models.CharField(
        max_length=8, choices=Alert.Severity.choices, default=Alert.Severity.WARNING
    )
    active = models.BooleanField(default=True)

    def __str__(self):
        return f"{self.channel} {self.target}"

    def clean(self):
        from django.core.validators import EmailValidator, URLValidator

        if self.channel == self.Channel.EMAIL:
            EmailValidator()(self.target)
        else:
            URLValidator(schemes=["http", "https"])(self.target)
            if not self.secret:
                raise ValidationError({"secret": "A webhook needs a secret to sign with."})


class Notification(models.Model):
    """One delivery of one alert event to one subscription; unique, so nothing is sent twice."""

    class Event(models.TextChoices):
        OPENED = "opened", "Opened"
        RESOLVED = "resolved", "Resolved"

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notifications")
    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE)
    event = models.CharField(max_length=8, choices=Event.choices)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "subscription", "event"], name="notification_once"
            )
        ]

    def __str__(self):
        return f"{self.event} of alert {self.alert_id} to {self.subscription}: {self.state}"

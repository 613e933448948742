from django.conf import settings
from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "EmoGraph administration"
admin.site.site_title = "EmoGraph admin"

urlpatterns = [
    path("", include("emograph.dashboard.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("", include("emograph.ops.urls")),
    path("", include("ingest.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

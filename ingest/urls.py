from django.urls import path

from . import api

app_name = "ingest"
urlpatterns = [path("api/v1/posts", api.PostBatchView.as_view(), name="api-posts")]

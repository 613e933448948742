from django.urls import path

from . import views

app_name = "dashboard"
urlpatterns = [
    path("", views.home, name="home"),
    path("topics/", views.topics, name="topics"),
    path("topics/<str:slug>/", views.topic, name="topic"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<int:pk>/", views.alert, name="alert"),
    path(
        "alerts/<int:pk>/acknowledge/",
        views.alert_transition,
        {"action": "acknowledge"},
        name="alert-acknowledge",
    ),
    path(
        "alerts/<int:pk>/resolve/",
        views.alert_transition,
        {"action": "resolve"},
        name="alert-resolve",
    ),
]

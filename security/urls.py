from django.urls import path

from . import views_overview, views_reveal

urlpatterns = [
    path("w/<slug:app_id>/security/", views_overview.overview, name="overview"),
    path(
        "w/<slug:app_id>/security/<slug:platform>/change",
        views_overview.change_platform,
        name="platform-change",
    ),
    path(
        "w/<slug:app_id>/security/<slug:platform>/reveal",
        views_reveal.reveal_secret,
        name="secret-reveal",
    ),
]

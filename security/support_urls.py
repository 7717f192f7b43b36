from django.urls import path

from . import support_views as views

urlpatterns = [
    path("support/", views.support_home, name="support-home"),
    path("support/w/<str:app_id>/", views.support_workspace, name="support-workspace"),
    path("support/rotations/<int:pk>/", views.support_rotation, name="support-rotation"),
    path("support/rotations/<int:pk>/rotate", views.support_rotate, name="support-rotate"),
    path("support/rotations/<int:pk>/cancel", views.support_cancel, name="support-cancel"),
    path(
        "w/<str:app_id>/rotations/<int:pk>/finish",
        views.customer_finish_overlap,
        name="rotation-finish",
    ),
]

from django.urls import path

from . import support

urlpatterns = [
    path("support/rotations/", support.support_rotations, name="api-support-rotations"),
    path("support/rotations/<int:pk>/rotate", support.support_rotate, name="api-support-rotate"),
    path("support/rotations/<int:pk>/cancel", support.support_cancel, name="api-support-cancel"),
    path("support/workspaces/", support.support_workspaces, name="api-support-workspaces"),
    path(
        "workspaces/<str:app_id>/rotations/",
        support.workspace_rotations,
        name="api-workspace-rotations",
    ),
    path(
        "workspaces/<str:app_id>/rotations/<int:pk>/finish",
        support.workspace_finish_overlap,
        name="api-workspace-rotation-finish",
    ),
]

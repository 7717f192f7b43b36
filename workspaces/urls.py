from django.contrib.auth import views as auth_views
from django.urls import path

from . import views, views_audit, views_domains

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("profile/", views.profile, name="profile"),
    path("w/<slug:app_id>/trusted-domains/", views_domains.trusted_domains, name="trusted-domains"),
    path(
        "w/<slug:app_id>/trusted-domains/<int:pk>/remove",
        views_domains.remove_domain,
        name="trusted-domain-remove",
    ),
    path("w/<slug:app_id>/audit/", views_audit.audit_log, name="audit-log"),
    path("", views.home, name="home"),
]

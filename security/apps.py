from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "security"

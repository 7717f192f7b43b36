"""Factories: users, and workspaces made through the real provisioning action."""

import itertools

import factory
from django.contrib.auth import get_user_model

PASSWORD = "correct horse battery staple"
_names = itertools.count(1)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.test")
    password = factory.django.Password(PASSWORD)


def make_user(username=None, **kwargs):
    if username is None:
        return UserFactory(**kwargs)
    return UserFactory(username=username, **kwargs)


def make_workspace(name=None, **kwargs):
    from security.actions.secrets import create_workspace

    return create_workspace(name or f"Workspace {next(_names)}", **kwargs)


def secret_of(workspace, platform):
    from security.models import IdentitySecret, SecretState

    return IdentitySecret.objects.get(
        workspace=workspace, platform=platform, state=SecretState.CURRENT
    ).plaintext()


def current_key(workspace):
    from security.models import MessengerKey

    key = MessengerKey.objects.get(workspace=workspace, is_current=True)
    return key.kid, key.plaintext()


def give_totp(user):
    """A confirmed authenticator app (security.authenticator) for ``user``."""
    from security.authenticator import AuthenticatorApp

    device = AuthenticatorApp.new(user, "Authenticator app")
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return device


def totp_code(device, offset=0):
    """The code ``device``'s app shows now (``offset`` steps later), by django-otp's TOTP."""
    import time

    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.STEP, 0, device.DIGITS)
    totp.time = time.time() + offset * device.STEP
    return f"{totp.token():0{device.DIGITS}d}"


def recovery_code(user):
    """A fresh single-use recovery code of ``user`` (stored as its digest)."""
    from django_otp.plugins.otp_static.models import StaticDevice

    from workspaces.two_factor import new_recovery_code, recovery_digest

    device, _ = StaticDevice.objects.get_or_create(
        user=user, name="Recovery codes", defaults={"confirmed": True}
    )
    code = new_recovery_code()
    device.token_set.create(token=recovery_digest(code))
    return code

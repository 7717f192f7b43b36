"""The authenticator app (TOTP, RFC 6238) as a django-otp device whose seed is encrypted
with the master keys (``crypto``), like every other secret: django-otp's own TOTPDevice
keeps it in plain hex. The code check is django-otp's ``TOTP`` and throttling, the same
rules as its TOTPDevice: one step of drift either way, never a step already used, a pause
after wrong codes that doubles with each (OTP_TOTP_THROTTLE_FACTOR seconds first)."""

import os
import time
from base64 import b32encode
from urllib.parse import quote, urlencode

from django.conf import settings
from django.db import models
from django_otp.models import Device, ThrottlingMixin, TimestampMixin
from django_otp.oath import TOTP

from . import crypto

SEED_BYTES = 20  # 160 bits, as RFC 4226 recommends for HMAC-SHA1


class AuthenticatorApp(TimestampMixin, ThrottlingMixin, Device):
    """A user's authenticator app: its TOTP seed, encrypted at rest."""

    STEP = 30
    DIGITS = 6
    TOLERANCE = 1

    ciphertext = models.TextField(editable=False)
    drift = models.SmallIntegerField(default=0)
    # The time step of the last code accepted: only later steps are accepted.
    last_t = models.BigIntegerField(default=-1)

    class Meta(Device.Meta):
        verbose_name = "authenticator app"

    @classmethod
    def new(cls, user, name):
        """An unconfirmed device with a fresh random seed (saved)."""
        seed = os.urandom(SEED_BYTES)
        return cls.objects.create(
            user=user, name=name, confirmed=False, ciphertext=crypto.encrypt(seed.hex())
        )

    @property
    def bin_key(self):
        return bytes.fromhex(crypto.decrypt(self.ciphertext))

    def get_throttle_factor(self):
        return getattr(settings, "OTP_TOTP_THROTTLE_FACTOR", 1)

    def _totp(self, now=None):
        totp = TOTP(self.bin_key, self.STEP, 0, self.DIGITS, self.drift)
        totp.time = time.time() if now is None else now
        return totp

    def verify_token(self, token):
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        try:
            token = int(token)
        except (TypeError, ValueError):
            verified = False
        else:
            totp = self._totp()
            verified = totp.verify(token, self.TOLERANCE, self.last_t + 1)
            if verified:
                self.last_t = totp.t()
                self.drift = totp.drift
                self.throttle_reset(commit=False)
                self.set_last_used_timestamp(commit=False)
                self.save()
        if not verified:
            self.throttle_increment(commit=True)
        return verified

    @property
    def config_url(self):
        """The otpauth:// URI the QR code holds (the Key Uri Format apps read)."""
        issuer = getattr(settings, "OTP_TOTP_ISSUER", "Verity").replace(":", "")
        label = quote(f"{issuer}:{self.user.get_username()}")
        params = urlencode(
            {
                "secret": b32encode(self.bin_key).decode(),
                "algorithm": "SHA1",
                "digits": self.DIGITS,
                "period": self.STEP,
            }
        )
        return f"otpauth://totp/{label}?{params}&issuer={quote(issuer)}"

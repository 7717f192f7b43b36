"""Celery tasks of the security app: thin wrappers that are safe to run twice."""

from celery import shared_task

from .actions import jwks, secret_rotation


@shared_task(name="security.expire_overlaps", acks_late=True)
def expire_overlaps():
    """Complete overlap rotations whose deadline passed; returns how many."""
    return secret_rotation.expire_overlaps()


@shared_task(name="security.fetch_jwks", ignore_result=True)
def fetch_jwks(source_id):
    """Fetch one JWKS source and record its keys or its failure (security.actions.jwks)."""
    jwks.fetch_source(source_id)


@shared_task(name="security.refresh_jwks", ignore_result=True)
def refresh_jwks():
    """Queue a fetch of every JWKS source (beat, every VERITY_JWKS_REFRESH_SECONDS)."""
    return jwks.refresh_all()

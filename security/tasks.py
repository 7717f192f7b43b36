"""Celery tasks of the security app: thin wrappers that are safe to run twice."""

from celery import shared_task

from .actions import secret_rotation


@shared_task(name="security.expire_overlaps", acks_late=True)
def expire_overlaps():
    """Complete overlap rotations whose deadline passed; returns how many."""
    return secret_rotation.expire_overlaps()

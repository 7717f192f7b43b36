"""Celery tasks of the security app: thin wrappers that are safe to run twice."""

from celery import shared_task

from . import rotation


@shared_task(name="security.expire_overlaps", acks_late=True)
def expire_overlaps():
    """Complete overlap rotations whose deadline passed; returns how many."""
    return rotation.expire_overlaps()

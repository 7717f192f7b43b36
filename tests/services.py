"""Skipping (or, in CI, failing) when a service a test needs is not there."""

import os

import pytest


def require(service, reason):
    """Skip with a visible reason, except in CI where every service must be there."""
    if os.environ.get("CI"):
        pytest.fail(f"{service} is required in CI: {reason}")
    pytest.skip(f"needs {service}: {reason}")

"""The console's favicon: linked from every page, and /favicon.ico answers too."""

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static

pytestmark = pytest.mark.django_db


def test_favicon_ico_points_at_the_static_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == static("verity/favicon.svg")
    assert finders.find("verity/favicon.svg")


@pytest.mark.parametrize("path", ["/login/", "/no-such-page/"])
def test_pages_link_the_icon_and_a_skip_link(client, path):
    html = client.get(path).content.decode()
    assert f'<link rel="icon" href="{static("verity/favicon.svg")}"' in html
    assert '<a class="skip-link" href="#content"' in html
    assert '<main class="page" id="content"' in html

"""Each code snippet runs in its real runtime and agrees with the checker and gateway."""

import os
import re
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from html import unescape

import jwt
import pytest
from django.urls import reverse

from security import snippets
from security.hashing import user_hash
from security.snippets import HERE
from security.tokens import KeyCandidate, verify
from tests.services import require

SECRET = "s3cr3t-ünïcode-é"
KEY = "Zm9vYmFy-messenger-key-256-bits-long-enough-x"
KID = "mk_0badcafe"
TRICKY = [
    "42",
    "zoë+tag@exämple.com",
    "ann+test@example.com",
    "Ünïcødé 用户 🙂",
    'quote" back\\slash',
    "x" * 255,
]


def _env(tmp_path):
    return {
        **os.environ,
        "LC_ALL": "C.UTF-8",
        "LANG": "C.UTF-8",
        "HOME": str(tmp_path),
        "GOCACHE": str(tmp_path / "gocache"),
        "GOPATH": str(tmp_path / "gopath"),
        "GO111MODULE": "off",
        "VERITY_IDENTITY_SECRET": SECRET,
        "VERITY_MESSENGER_KEY": KEY,
        "VERITY_MESSENGER_KID": KID,
    }


def _need(program, runtime):
    if shutil.which(program) is None:
        require(runtime, f"`{program}` not found (apt-get install it; see .ci/run)")


def _run_mono(source, tmp_path, env, args):
    _need("mcs", "C# (mono-mcs)")
    _need("mono", "C# (mono-runtime)")
    exe = tmp_path / (source.stem + ".exe")
    subprocess.run(["mcs", "-nologo", f"-out:{exe}", str(source)], check=True, env=env)
    return ["mono", str(exe), *args]


def command(filename, tmp_path, env, args):
    """The command that runs a snippet file with ``args``, as its users would run it."""
    source = HERE / filename
    suffix = source.suffix
    if suffix == ".py":
        return [sys.executable, str(source), *args]
    if suffix == ".rb":
        _need("ruby", "Ruby")
        return ["ruby", str(source), *args]
    if suffix == ".js":
        _need("node", "Node.js")
        return ["node", str(source), *args]
    if suffix == ".php":
        _need("php", "PHP (php-cli)")
        return ["php", str(source), *args]
    if suffix == ".go":
        _need("go", "Go (golang-go)")
        return ["go", "run", str(source), *args]
    if suffix == ".java":
        _need("java", "Java (default-jdk-headless)")
        return ["java", str(source), *args]
    if suffix == ".cs":
        return _run_mono(source, tmp_path, env, args)
    raise AssertionError(f"no runtime for {filename}")


def run(filename, tmp_path, args):
    env = _env(tmp_path)
    cmd = command(filename, tmp_path, env, args)
    done = subprocess.run(cmd, env=env, capture_output=True, timeout=180, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout.decode("utf-8").splitlines()


HASH_FILES = [s.filename for s in snippets.SNIPPETS if s.kind == "user_hash"]
JWT_FILES = [s.filename for s in snippets.SNIPPETS if s.kind == "jwt"]


@pytest.mark.parametrize("filename", HASH_FILES)
def test_user_hash_snippet_prints_the_checkers_hash(filename, tmp_path):
    printed = run(filename, tmp_path, TRICKY)
    assert printed == [user_hash(SECRET, identifier) for identifier in TRICKY]


@pytest.mark.parametrize("filename", JWT_FILES)
def test_jwt_snippet_prints_tokens_the_gateway_accepts(filename, tmp_path):
    before = int(time.time())
    tokens = run(filename, tmp_path, TRICKY)
    assert len(tokens) == len(TRICKY)
    for identifier, token in zip(TRICKY, tokens, strict=True):
        result = verify(token, [KeyCandidate(KID, KEY)], datetime.now(UTC))
        assert result.ok, (identifier, result.code)
        assert result.kid == KID
        assert result.claims["user_id"] == identifier
        assert jwt.get_unverified_header(token)["alg"] == "HS256"
        exp = result.claims["exp"]
        assert before + snippets.SESSION_SECONDS <= exp <= time.time() + snippets.SESSION_SECONDS


def test_rails_snippet_core_functions_agree(tmp_path):
    _need("ruby", "Ruby")
    env = _env(tmp_path)
    script = (
        "ARGV.each { |i| puts VerityIdentity.user_hash(i); puts VerityIdentity.messenger_jwt(i) }"
    )
    source = str(HERE / "rails_identity.rb")
    done = subprocess.run(
        ["ruby", "-r", source, "-e", script, *TRICKY], env=env, capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    lines = done.stdout.decode().splitlines()
    for n, identifier in enumerate(TRICKY):
        assert lines[2 * n] == user_hash(SECRET, identifier)
        claims = verify(lines[2 * n + 1], [KeyCandidate(KID, KEY)], datetime.now(UTC)).claims
        assert claims["user_id"] == identifier


def test_django_snippet_core_functions_agree(settings, rf):
    from django.contrib.auth.models import AnonymousUser

    from security.snippets import django_identity

    settings.VERITY_IDENTITY_SECRET = SECRET
    settings.VERITY_MESSENGER_KEY = KEY
    settings.VERITY_MESSENGER_KID = KID
    for identifier in TRICKY:
        assert django_identity.user_hash(identifier) == user_hash(SECRET, identifier)
        token = django_identity.messenger_jwt(identifier)
        result = verify(token, [KeyCandidate(KID, KEY)], datetime.now(UTC))
        assert result.kid == KID and result.claims["user_id"] == identifier
    request = rf.get("/")
    request.user = AnonymousUser()
    assert django_identity.messenger_identity(request) == {}


@pytest.mark.parametrize("snippet", snippets.SNIPPETS, ids=lambda s: s.slug)
def test_no_snippet_embeds_a_secret(snippet):
    source = snippet.source
    assert "VERITY_" in source
    assert SECRET not in source and KEY not in source


# --- the page -------------------------------------------------------------------------


def snippets_page(client, workspace, **params):
    url = reverse("security:snippets", kwargs={"app_id": workspace.app_id})
    return client.get(url, params)


def code_blocks(html):
    """{code id: the text a reader copies} of a snippets page."""
    blocks = re.findall(r'<code id="(code-[\w-]+)" class="language-\w+">(.*?)</code>', html, re.S)
    return {slug: unescape(re.sub(r"<[^>]+>", "", code)) for slug, code in blocks}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["admin", "developer", "viewer"])
def test_every_member_sees_every_snippet_one_language_at_a_time(client, workspace, personas, role):
    """Issue 17 #11: a tab per language; each block highlighted, with its Copy button, and
    its text exactly the tested source file."""
    client.force_login(personas[role])
    seen = {}
    for language, slug in snippets.LANGUAGE_SLUGS.items():
        response = snippets_page(client, workspace, lang=slug)
        html = response.content.decode()
        assert response.status_code == 200
        assert f'<a href="?lang={slug}" class="active" aria-current="page">' in html
        blocks = code_blocks(html)
        items = [s for s in snippets.SNIPPETS if s.language == language]
        assert sorted(blocks) == sorted(f"code-{s.slug}" for s in items)
        for snippet in items:
            assert f'data-copy="code-{snippet.slug}"' in html
            assert blocks[f"code-{snippet.slug}"] == snippet.source
        assert '<span class="' in html and "style=" not in html.split("<main", 1)[1]
        seen.update(blocks)
    assert len(seen) == len(snippets.SNIPPETS)


@pytest.mark.django_db
def test_the_snippets_page_remembers_the_language_last_chosen(client, workspace, personas):
    client.force_login(personas["developer"])
    first = code_blocks(snippets_page(client, workspace).content.decode())
    assert set(first) == {f"code-{s.slug}" for s in snippets.SNIPPETS if s.language == "Python"}
    snippets_page(client, workspace, lang="go")
    again = code_blocks(snippets_page(client, workspace).content.decode())
    assert set(again) == {"code-go-jwt", "code-go-pk", "code-go-hash"}
    # An unknown language falls back to the remembered one, and is not remembered itself.
    other = code_blocks(snippets_page(client, workspace, lang="cobol").content.decode())
    assert set(other) == {"code-go-jwt", "code-go-pk", "code-go-hash"}


@pytest.mark.django_db
def test_snippets_page_shows_no_secret(client, workspace, personas):
    from tests.factories import current_key, secret_of

    client.force_login(personas["admin"])
    html = client.get(
        reverse("security:snippets", kwargs={"app_id": workspace.app_id})
    ).content.decode()
    assert secret_of(workspace, "web") not in html
    assert current_key(workspace)[1] not in html


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["outsider", "support"])
def test_snippets_page_is_404_for_outsider_and_support(client, workspace, personas, who):
    client.force_login(personas[who])
    response = client.get(reverse("security:snippets", kwargs={"app_id": workspace.app_id}))
    assert response.status_code == 404

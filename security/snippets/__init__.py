"""The server-side code snippets of the console: real source files in this folder.

The console shows each file as it is, and tests/security/test_snippets.py runs each one in
its own runtime, so what users copy is exactly what is tested.
"""

from dataclasses import dataclass
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
SESSION_SECONDS = 3600
ENVIRONMENT = {
    "user_hash": ("VERITY_IDENTITY_SECRET",),
    "jwt": ("VERITY_MESSENGER_KEY", "VERITY_MESSENGER_KID"),
    "private_key": ("VERITY_PRIVATE_KEY_FILE", "VERITY_MESSENGER_KID"),
}
KINDS = {
    "user_hash": "user_hash (HMAC)",
    "jwt": "Messenger JWT (recommended)",
    "private_key": "Messenger JWT signed with your private key",
}
# What a private-key snippet signs, by the key it is given (the algorithm follows from the
# key). C#: .NET has no Ed25519 of its own, and Mono (where the tests run C#) has no ECDsa.
PK_ALGORITHMS = ("ES256", "EdDSA", "RS256")


@dataclass(frozen=True)
class Snippet:
    slug: str
    language: str
    kind: str  # "user_hash", "jwt", "private_key" or "both" (framework integrations)
    filename: str
    highlight: str  # the language name for the code block's class
    algorithms: tuple = ()  # a private-key snippet's algorithms

    @property
    def source(self):
        return _read(self.filename)


SNIPPETS = (
    Snippet("python-jwt", "Python", "jwt", "messenger_jwt.py", "python"),
    Snippet("python-pk", "Python", "private_key", "private_key_jwt.py", "python", PK_ALGORITHMS),
    Snippet("python-hash", "Python", "user_hash", "user_hash.py", "python"),
    Snippet("django", "Python (Django)", "both", "django_identity.py", "python"),
    Snippet("ruby-jwt", "Ruby", "jwt", "messenger_jwt.rb", "ruby"),
    Snippet("ruby-pk", "Ruby", "private_key", "private_key_jwt.rb", "ruby", PK_ALGORITHMS),
    Snippet("ruby-hash", "Ruby", "user_hash", "user_hash.rb", "ruby"),
    Snippet("rails", "Ruby (Rails)", "both", "rails_identity.rb", "ruby"),
    Snippet("node-jwt", "Node.js", "jwt", "messenger_jwt.js", "javascript"),
    Snippet("node-pk", "Node.js", "private_key", "private_key_jwt.js", "javascript", PK_ALGORITHMS),
    Snippet("node-hash", "Node.js", "user_hash", "user_hash.js", "javascript"),
    Snippet("php-jwt", "PHP", "jwt", "messenger_jwt.php", "php"),
    Snippet("php-pk", "PHP", "private_key", "private_key_jwt.php", "php", PK_ALGORITHMS),
    Snippet("php-hash", "PHP", "user_hash", "user_hash.php", "php"),
    Snippet("java-jwt", "Java", "jwt", "MessengerJwt.java", "java"),
    Snippet("java-pk", "Java", "private_key", "PrivateKeyJwt.java", "java", PK_ALGORITHMS),
    Snippet("java-hash", "Java", "user_hash", "UserHash.java", "java"),
    Snippet("go-jwt", "Go", "jwt", "messenger_jwt.go", "go"),
    Snippet("go-pk", "Go", "private_key", "private_key_jwt.go", "go", PK_ALGORITHMS),
    Snippet("go-hash", "Go", "user_hash", "user_hash.go", "go"),
    Snippet("csharp-jwt", "C#", "jwt", "MessengerJwt.cs", "csharp"),
    Snippet("csharp-pk", "C#", "private_key", "PrivateKeyJwt.cs", "csharp", ("ES256", "RS256")),
    Snippet("csharp-hash", "C#", "user_hash", "UserHash.cs", "csharp"),
)


@cache
def _read(filename):
    return (HERE / filename).read_text(encoding="utf-8")


def path_of(snippet):
    return HERE / snippet.filename


# The language last chosen on a snippets tab (the snippets page sets it), so the next page
# with snippets opens on it.
COOKIE = "verity_snippet_lang"
# A framework's page falls back to its language where only the seven languages are shown.
FRAMEWORK_LANGUAGE = {"django": "python", "rails": "ruby"}

# The language tabs of the snippets page: ?lang=<slug>, in display order.
LANGUAGE_SLUGS = {
    "Python": "python",
    "Python (Django)": "django",
    "Ruby": "ruby",
    "Ruby (Rails)": "rails",
    "Node.js": "node",
    "PHP": "php",
    "Java": "java",
    "Go": "go",
    "C#": "csharp",
}


def grouped():
    """[(language, [snippet, ...]), ...] in display order."""
    groups = {}
    for snippet in SNIPPETS:
        groups.setdefault(snippet.language, []).append(snippet)
    return list(groups.items())


def private_key_snippets():
    """[(language slug, language, snippet), ...]: the private-key snippet of each of the
    seven languages, in display order (the JWT keys page shows them)."""
    return [
        (LANGUAGE_SLUGS[s.language], s.language, s) for s in SNIPPETS if s.kind == "private_key"
    ]


def chosen_language(asked, remembered, slugs):
    """The tab to open: the one asked for (``?lang=``), else the one remembered, else the
    first of ``slugs``."""
    for slug in (asked, remembered, FRAMEWORK_LANGUAGE.get(remembered)):
        if slug in slugs:
            return slug
    return slugs[0]

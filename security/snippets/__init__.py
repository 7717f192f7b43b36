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
}
KINDS = {"user_hash": "user_hash (HMAC)", "jwt": "Messenger JWT (recommended)"}


@dataclass(frozen=True)
class Snippet:
    slug: str
    language: str
    kind: str  # "user_hash", "jwt" or "both" (framework integrations)
    filename: str
    highlight: str  # the language name for the code block's class

    @property
    def source(self):
        return _read(self.filename)


SNIPPETS = (
    Snippet("python-jwt", "Python", "jwt", "messenger_jwt.py", "python"),
    Snippet("python-hash", "Python", "user_hash", "user_hash.py", "python"),
    Snippet("django", "Python (Django)", "both", "django_identity.py", "python"),
    Snippet("ruby-jwt", "Ruby", "jwt", "messenger_jwt.rb", "ruby"),
    Snippet("ruby-hash", "Ruby", "user_hash", "user_hash.rb", "ruby"),
    Snippet("rails", "Ruby (Rails)", "both", "rails_identity.rb", "ruby"),
    Snippet("node-jwt", "Node.js", "jwt", "messenger_jwt.js", "javascript"),
    Snippet("node-hash", "Node.js", "user_hash", "user_hash.js", "javascript"),
    Snippet("php-jwt", "PHP", "jwt", "messenger_jwt.php", "php"),
    Snippet("php-hash", "PHP", "user_hash", "user_hash.php", "php"),
    Snippet("java-jwt", "Java", "jwt", "MessengerJwt.java", "java"),
    Snippet("java-hash", "Java", "user_hash", "UserHash.java", "java"),
    Snippet("go-jwt", "Go", "jwt", "messenger_jwt.go", "go"),
    Snippet("go-hash", "Go", "user_hash", "user_hash.go", "go"),
    Snippet("csharp-jwt", "C#", "jwt", "MessengerJwt.cs", "csharp"),
    Snippet("csharp-hash", "C#", "user_hash", "UserHash.cs", "csharp"),
)


@cache
def _read(filename):
    return (HERE / filename).read_text(encoding="utf-8")


def path_of(snippet):
    return HERE / snippet.filename


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

"""messenger.js, the embeddable client of the gateway: its bytes, version and SRI hash.

Django-free on purpose: the install page, the tests and the demo shop (demo/shop.py)
compute the integrity attribute with this same code, so what they show is what is served.
"""

import base64
import gzip
import hashlib
from functools import cache
from pathlib import Path

FILE = Path(__file__).resolve().parent / "messenger.js"
PATH = "/messenger/v1/messenger.js"
GZIP_BUDGET_BYTES = 4096


@cache
def source():
    """The file's bytes, exactly as served (read once per process)."""
    return FILE.read_bytes()


def version():
    """A short content hash: the ``?v=`` of versioned URLs and the ETag."""
    return hashlib.sha256(source()).hexdigest()[:12]


def integrity():
    """The Subresource Integrity value of the served bytes (sha384, base64)."""
    return "sha384-" + base64.b64encode(hashlib.sha384(source()).digest()).decode("ascii")


def versioned_path():
    return f"{PATH}?v={version()}"


def gzip_size():
    """Bytes on the wire when compressed at the usual level (the size budget)."""
    return len(gzip.compress(source(), compresslevel=9, mtime=0))

"""Code shown in the console, highlighted on the server with Pygments: class-named spans
(styled in static/verity/verity.css, under ``.hl``), never an inline style (strict CSP)."""

from django.utils.html import escape
from django.utils.safestring import mark_safe
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

FORMATTER = HtmlFormatter(nowrap=True)


def highlighted(source, language):
    """``source`` as HTML with one span per token; escaped plain text for an unknown
    language."""
    try:
        lexer = get_lexer_by_name(language)
    except ClassNotFound:
        return escape(source)
    # Pygments escapes the source itself; its output holds only its own spans.
    return mark_safe(highlight(source, lexer, FORMATTER))  # noqa: S308

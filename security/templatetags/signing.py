"""``{% private_key_snippets %}``: the private-key signing snippets of the seven languages,
one language at a time, highlighted, each with its Copy button. The JWT keys page shows it
beside the public-key registration, so its view needs nothing new: the tab comes from
``?lang=`` or the language last chosen on the snippets page."""

from django import template

from .. import snippets
from ..highlight import highlighted

register = template.Library()


@register.inclusion_tag("security/_private_key_snippets.html", takes_context=True)
def private_key_snippets(context):
    request = context["request"]
    items = snippets.private_key_snippets()
    lang = snippets.chosen_language(
        request.GET.get("lang"), request.COOKIES.get(snippets.COOKIE), [s for s, _, _ in items]
    )
    slug, language, snippet = next(item for item in items if item[0] == lang)
    return {
        "tabs": [(s, label) for s, label, _ in items],
        "lang": slug,
        "language": language,
        "snippet": snippet,
        "code": highlighted(snippet.source, snippet.highlight),
        "session_seconds": snippets.SESSION_SECONDS,
    }

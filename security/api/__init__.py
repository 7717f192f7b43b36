"""The security REST API. Thin: serializers validate, views call ``security.actions`` and
let ``workspaces.api.errors`` render any ``Refused`` as JSON."""

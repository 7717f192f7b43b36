"""The only writers of security state (Zulip's ``do_*``): each action runs in a
transaction, checks its precondition, writes the audit row, tells the gateway
(``mark_config_changed``) and refuses with ``workspaces.refusals.Refused``.
The console views and the API views both call these."""

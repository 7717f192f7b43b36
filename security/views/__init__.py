"""The console's security pages. Thin: a view validates its form, calls an action from
``security.actions``, and renders the result or the action's ``Refused``."""

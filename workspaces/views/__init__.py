"""The console's workspace pages: the picker, the profile, trusted domains, the audit log."""

"""Accounts: users, login and sessions, throttling, the audit log and notification preferences."""

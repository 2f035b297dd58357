"""Dialogue policies: the check-in after a crisis reply."""

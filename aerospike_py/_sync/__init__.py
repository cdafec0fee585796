"""The blocking side of the client, generated from _async by scripts/unasync.py."""

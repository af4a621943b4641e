"""How a lower area tells the areas above it what happened, without importing them
(the layers: pyproject.toml). The areas above connect their receivers in
AppConfig.ready() (agreements/apps.py)."""

from django.core.exceptions import ImproperlyConfigured
from django.dispatch import Signal


class Announcement(Signal):
    """A signal somebody must hear. Sent in the sender's transaction, its receivers' writes
    commit or roll back with it (the outbox's messages with the events that cause them),
    and a receiver's error propagates. Nobody listening is a wiring fault, never a
    silently lost message."""

    def __init__(self, name):
        super().__init__()
        self.name = name

    def announce(self, **facts):
        if not self.has_listeners():
            raise ImproperlyConfigured(f"Nothing receives {self.name}: agreements/apps.py.")
        self.send(sender=None, **facts)

"""The outbox worker: delivers queued messages (agreements/outbox/delivery.py says how,
and where a duplicate is still possible). deploy/ runs it as a service; make run too."""

import signal
import time

from django.core.management.base import BaseCommand
from django.db import DatabaseError, connections

from agreements.outbox.delivery import deliver_due


class Command(BaseCommand):
    help = "Deliver the outbox: every message due, then wait and look again (--once: exit)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Deliver what is due, then exit.")
        parser.add_argument("--interval", type=float, default=2.0, help="Seconds between looks.")

    def handle(self, *args, once, interval, **options):
        self.stopping = False
        previous = {sig: signal.signal(sig, self.stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.deliver_until_stopped(once, interval)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def deliver_until_stopped(self, once, interval):
        troubles = 0
        while True:
            try:
                sent, failed = deliver_due(stopping=lambda: self.stopping)
                troubles = 0
            except (DatabaseError, OSError) as error:
                # "database is locked", a full disk, a lost connection: none is a reason
                # to stop delivering. Wait longer each time (at most a minute), reconnect.
                troubles += 1
                sent = failed = 0
                self.stderr.write(f"Outbox: {type(error).__name__}: {error}; trying again.")
                connections.close_all()
                if once:
                    raise
                self.pause(min(interval * 2**troubles, 60))
                continue
            if sent or failed:
                self.stdout.write(f"Sent {sent}, failed {failed} (retried later).")
            if once or self.stopping:
                return
            self.pause(interval)

    def pause(self, seconds):
        deadline = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < deadline:
            time.sleep(min(0.2, seconds))

    def stop(self, signum, frame):
        self.stopping = True  # finish the message being sent, send no other, exit

"""The outbox worker: delivers queued messages (agreements/outbox/delivery.py says how,
and where a duplicate is still possible). deploy/ runs it as a service; make run too."""

import signal
import time

from django.core.management.base import BaseCommand

from agreements.outbox.delivery import deliver_due


class Command(BaseCommand):
    help = "Deliver the outbox: every message due, then wait and look again (--once: exit)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Deliver what is due, then exit.")
        parser.add_argument("--interval", type=float, default=2.0, help="Seconds between looks.")

    def handle(self, *args, once, interval, **options):
        self.stopping = False
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        while True:
            sent, failed = deliver_due(stopping=lambda: self.stopping)
            if sent or failed:
                self.stdout.write(f"Sent {sent}, failed {failed} (retried later).")
            if once or self.stopping:
                return
            time.sleep(interval)

    def stop(self, signum, frame):
        self.stopping = True  # finish the message being sent, send no other, exit

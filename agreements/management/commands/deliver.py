"""The outbox worker: delivers queued messages (agreements/outbox/delivery.py says how,
and where a duplicate is still possible). deploy/ runs it as a service; make run too.

Each channel is a lane of its own (a thread with its own database connection): a mail
server that hangs delays no Kommo lead, and Kommo's outage no email."""

import signal
import threading
import time

from django.core.management.base import BaseCommand
from django.db import DatabaseError, connections

from agreements.outbox.delivery import deliver_due
from agreements.outbox.models import OutboxMessage


class Command(BaseCommand):
    help = "Deliver the outbox: every message due, then wait and look again (--once: exit)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Deliver what is due, then exit.")
        parser.add_argument("--interval", type=float, default=2.0, help="Seconds between looks.")
        parser.add_argument(
            "--channel", choices=OutboxMessage.Channel.values, help="Only this lane."
        )

    def handle(self, *args, once, interval, channel, **options):
        self.stopping = False
        channels = [channel] if channel else list(OutboxMessage.Channel.values)
        previous = {sig: signal.signal(sig, self.stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            if once:  # one pass over each lane, one after the other
                for lane in channels:
                    self.deliver_until_stopped(lane, once, interval)
                return
            lanes = [threading.Thread(target=self.lane, args=(lane, interval), daemon=True)
                     for lane in channels]  # fmt: skip
            for lane in lanes:
                lane.start()
            while any(lane.is_alive() for lane in lanes):
                for lane in lanes:
                    lane.join(0.2)  # the main thread stays free to take signals
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def lane(self, channel, interval):
        try:
            self.deliver_until_stopped(channel, False, interval)
        finally:
            connections.close_all()  # this thread's own connection

    def deliver_until_stopped(self, channel, once, interval):
        troubles = 0
        while True:
            try:
                sent, failed = deliver_due(channel=channel, stopping=lambda: self.stopping)
                troubles = 0
            except (DatabaseError, OSError) as error:
                # "database is locked", a full disk, a lost connection: none is a reason
                # to stop delivering. Wait longer each time (at most a minute), reconnect.
                troubles += 1
                sent = failed = 0
                self.stderr.write(f"Outbox ({channel}): {type(error).__name__}: {error}; "
                                  "trying again.")  # fmt: skip
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

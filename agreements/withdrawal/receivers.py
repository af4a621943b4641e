"""What the withdrawal area does when the areas below announce something: a person's
erasure blanks their withdrawals too. Connected in AppConfig.ready() (agreements/apps.py)."""

from ..contact.signals import person_erased
from .models import Withdrawal
from .services import blank


def on_person_erased(email_key, **_):
    blank(Withdrawal.objects.filter(email_key=email_key))


def connect():
    person_erased.connect(on_person_erased, dispatch_uid="withdrawal.on_person_erased")

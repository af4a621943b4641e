"""What the rights area does when the areas below announce something: a person's
erasure blanks their address in the register (its entries stay, to show each request
was honoured). Connected in AppConfig.ready() (agreements/apps.py)."""

from ..contact.signals import person_erased
from .models import RightsRequest


def on_person_erased(email_key, **_):
    RightsRequest.objects.filter(email_key=email_key).update(email="", email_key="")


def connect():
    person_erased.connect(on_person_erased, dispatch_uid="rights.on_person_erased")

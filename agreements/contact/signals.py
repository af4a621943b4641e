"""What recording and erasing a request tells the areas above (core/signals.py)."""

from ..core.signals import Announcement

# A request was recorded, in its transaction: submission=. (The outbox queues its messages.)
submission_recorded = Announcement("contact.submission_recorded")
# A request's personal data was erased, in the erasure's transaction: submission=, at=.
# (The outbox blanks its copies and asks the operator to delete a Kommo lead.)
submission_erased = Announcement("contact.submission_erased")
# Every request of one person was erased (person_erase): email_key=. (Their withdrawals
# are blanked.)
person_erased = Announcement("contact.person_erased")

"""What the "my data" page tells the outbox (core/signals.py)."""

from ..core.signals import Announcement

# An address typed on /my-data/, handed to the worker (the page answers the same whether
# or not the address is known): typed= (email, language).
my_data_asked = Announcement("rights.my_data_asked")
# The worker found data for the address: the single-use link is emailed. email=, language=,
# token=.
my_data_link_made = Announcement("rights.my_data_link_made")

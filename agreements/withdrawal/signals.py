"""What a withdrawal and a person's erasure tell the areas above (core/signals.py)."""

from ..core.signals import Announcement

# Typed on the public form, handed to the worker (the page answers the same whether or
# not anything matches): typed= (email, reference, scope, client_ip, user_agent, language).
withdrawal_typed = Announcement("withdrawal.withdrawal_typed")
# Pending until its link, mailed to the requests' address, is followed: withdrawal=.
withdrawal_requested = Announcement("withdrawal.withdrawal_requested")
# It took effect: withdrawal=. (The operator is told.)
withdrawal_confirmed = Announcement("withdrawal.withdrawal_confirmed")
# Withdrawals were blanked (an erasure, or their retention ended): withdrawals= (a queryset).
withdrawals_erased = Announcement("withdrawal.withdrawals_erased")

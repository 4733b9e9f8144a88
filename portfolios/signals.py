"""What portfolios tell the apps above them, which they never import (credentials revoke what
they issued for an entry that leaves the public page). Sent by portfolios.services inside the
transaction of the change, so a receiver's rows commit or roll back with it."""

from django.dispatch import Signal

# An entry left the public page: entry=, by= (the learner, or staff moderating).
entry_unpublished = Signal()

# A portfolio stopped being visible to the world: portfolio=, by=, moderated= (staff hid it).
portfolio_made_private = Signal()

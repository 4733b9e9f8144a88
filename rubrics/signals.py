"""What the review app tells the apps above it, which it must not import (the layers).

Both are sent inside the transaction of the service that made the change, so a receiver that
writes a row commits or rolls back with the review itself; a receiver does no slow work (it
records what to do and leaves the doing to a task enqueued on commit).
"""

from django.dispatch import Signal

# A mentor's assessment was submitted with a decision (changes requested or accepted).
# Sent with assessment=<rubrics.models.Assessment> by rubrics.services.assessment_record.
assessment_decided = Signal()

# A peer reviewer submitted their review. Sent with assessment=<rubrics.models.Assessment>
# (kind peer) by rubrics.services.assessment_record.
peer_review_submitted = Signal()

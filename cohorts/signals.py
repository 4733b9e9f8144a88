"""What the cohorts app tells the apps above it, which it must not import (the layers).

Sent inside the transaction of the service that made the change, so a receiver that writes a
row commits or rolls back with the change itself.
"""

from django.dispatch import Signal

# What one student of a cohort has (their membership, their submitted work, mentor scores,
# retrospectives, risk log) changed. Sent with cohort_id=<int>, student_id=<int> by
# cohorts.services.cohort_grades_changed when the changing service names the student; the
# apps above that keep figures per student (insights' at-risk inputs) refresh that student's.
student_changed = Signal()

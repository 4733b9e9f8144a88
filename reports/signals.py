"""What the reports app tells the apps above it (or beside it), which it must not import.

Sent inside the transaction that marks the run built, so a receiver that writes a row commits
or rolls back with that change.
"""

from django.dispatch import Signal

# A report run's file is built and can be downloaded. Sent with run=<reports.models.ReportRun>
# by reports.services.report_build, once per run (only the build that marks it succeeded).
report_ready = Signal()

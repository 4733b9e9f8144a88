"""The signals of the apps below that insights answers (connected in InsightsConfig.ready()).
Each receiver runs inside the sender's transaction, so what it writes commits with the change."""

from cohorts.signals import student_changed

from .services import at_risk_inputs_refresh


def on_student_changed(sender, *, cohort_id: int, student_id: int, **kwargs) -> None:
    at_risk_inputs_refresh(cohort_id=cohort_id, student_ids=[student_id])


def connect() -> None:
    student_changed.connect(on_student_changed, dispatch_uid="insights.student_changed")

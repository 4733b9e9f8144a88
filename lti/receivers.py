"""The signals of the apps below that the LTI app answers (connected in LtiConfig.ready()).
Each receiver runs inside the sender's transaction and only records what to do; the doing
(talking to the LMS) happens after commit, in a task."""

from rubrics.signals import assessment_decided

from .services.grades import grade_sync_record


def on_assessment_decided(sender, *, assessment, **kwargs) -> None:
    grade_sync_record(assessment=assessment)


def connect() -> None:
    assessment_decided.connect(on_assessment_decided, dispatch_uid="lti.assessment_decided")

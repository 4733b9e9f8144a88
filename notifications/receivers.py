"""The signals of the apps below that notifications answers (connected in
NotificationsConfig.ready()). Each receiver runs inside the sender's transaction and only
records what to tell (a service call); the telling happens after commit, in a task."""

from feedback.signals import comment_posted, thread_addressed
from reports.signals import report_ready
from rubrics.signals import assessment_decided, peer_review_submitted

from . import services


def on_assessment_decided(sender, *, assessment, **kwargs) -> None:
    services.feedback_decision_record(assessment=assessment)


def on_peer_review_submitted(sender, *, assessment, **kwargs) -> None:
    services.feedback_peer_review_record(assessment=assessment)


def on_report_ready(sender, *, run, **kwargs) -> None:
    services.report_ready_record(run=run)


def on_comment_posted(sender, *, comment, **kwargs) -> None:
    services.feedback_comment_record(comment=comment)


def on_thread_addressed(sender, *, thread, by, **kwargs) -> None:
    services.feedback_thread_addressed_record(thread=thread, by=by)


def connect() -> None:
    assessment_decided.connect(on_assessment_decided, dispatch_uid="notifications.assessment_decided")
    peer_review_submitted.connect(on_peer_review_submitted, dispatch_uid="notifications.peer_review_submitted")
    report_ready.connect(on_report_ready, dispatch_uid="notifications.report_ready")
    comment_posted.connect(on_comment_posted, dispatch_uid="notifications.comment_posted")
    thread_addressed.connect(on_thread_addressed, dispatch_uid="notifications.thread_addressed")

import factory
from django.core.files.uploadedfile import SimpleUploadedFile

from cohorts.models import Membership
from submissions import services, uploads
from submissions.models import (
    Artifact,
    EvidencePreview,
    ImproveItemStatus,
    Retrospective,
    Revision,
    RevisionArtifact,
    RiskEntry,
    WeeklyWork,
    improve_item_key,
)

from .cohorts import tell_student_changed

__all__ = [
    "WeeklyWorkFactory",
    "RevisionFactory",
    "ArtifactFactory",
    "RevisionArtifactFactory",
    "RiskEntryFactory",
    "RetrospectiveFactory",
    "ImproveItemStatusFactory",
    "EvidencePreviewFactory",
    "K6_SUMMARY",
]

K6_SUMMARY = b"scenario: checkout\nrps: 200\np95: 41ms\np99: 88ms\nerrors: 0.00%\n"

DRAFT = {
    "concept": {"text": "## Request path\n\nThe ORM dominates the p95: 31 of 41 ms.", "objective_ids": []},
    "decision": {
        "options": "A: add a covering index. B: cache the page.",
        "tradeoffs": "Index: write cost. Cache: staleness.",
        "decision": "Add a covering index.",
        "rationale": "Cheapest fix for the dominant contributor.",
    },
    "dossier": {
        "criteria": [{"criterion": "Checkout latency", "metric": "p95", "target": "< 50 ms", "measured": "41 ms"}],
        "next_actions": "- Re-run the load test after the index lands",
    },
}


class WeeklyWorkFactory(factory.django.DjangoModelFactory):
    """A draft for week 1 of the cohort's course (pass week= or deliverable=; the student
    should be a student member of the cohort: enrolled=True makes them one)."""

    class Meta:
        model = WeeklyWork
        skip_postgeneration_save = True

    class Params:
        enrolled = factory.Trait(
            membership=factory.RelatedFactory(
                "tests.factories.cohorts.MembershipFactory",
                factory_related_name="",
                cohort=factory.SelfAttribute("..cohort"),
                user=factory.SelfAttribute("..student"),
                role=Membership.Role.STUDENT,
            )
        )

    cohort = factory.SubFactory("tests.factories.cohorts.CohortFactory")
    student = factory.SubFactory("tests.factories.accounts.UserFactory")
    week = factory.LazyAttribute(lambda o: o.cohort.course.weeks.get(number=1))
    deliverable = None


def _current_work():
    """The default work of the submission factories: an enrolled student's week-1 draft in a
    cohort whose week 1 is open now."""
    return factory.SubFactory(WeeklyWorkFactory, enrolled=True, cohort__running=True)


class RevisionFactory(factory.django.DjangoModelFactory):
    """A revision frozen by submissions.services.work_submit, the only way a revision is
    made (revisions are immutable): the next number, the snapshot of the draft, its attached
    artifacts, the due instant and lateness are all decided by the service, and the work
    becomes submitted (or resubmitted). A work with an empty draft gets a realistic one
    saved first (work_save_draft); `note` becomes its revision note. The work must be open
    for editing: a draft, or one whose changes were requested."""

    class Meta:
        model = Revision

    work = _current_work()
    submitted_by = factory.SelfAttribute("work.student")
    note = factory.LazyAttribute(lambda o: o.work.content.get("revision_note", ""))
    submitted_at = None  # now

    @classmethod
    def _create(cls, model_class, *, work, submitted_by, note, submitted_at, **computed):
        if computed:
            raise TypeError(f"{sorted(computed)} of a revision are decided by work_submit.")
        draft = dict(work.content or DRAFT)
        if note:
            draft["revision_note"] = note
        if draft != work.content:
            services.work_save_draft(work=work, content=draft, expected_version=work.draft_version, by=submitted_by)
        return services.work_submit(work=work, by=submitted_by, now=submitted_at)


class ArtifactFactory(factory.django.DjangoModelFactory):
    """Evidence added to a draft through submissions.services: a file (a k6 summary by
    default; pass file=SimpleUploadedFile(...)) goes through artifact_upload, which checks its
    type from the content, stores it under a random name through the storage API and records
    its real size, type and SHA-256; ArtifactFactory(link=True) adds a link instead."""

    class Meta:
        model = Artifact

    class Params:
        link = factory.Trait(
            kind=Artifact.Kind.LINK,
            url="https://github.com/example/checkout-bench",
            proves="The benchmark scripts and their raw output",
        )
        checked = factory.LazyAttribute(
            lambda o: uploads.check_upload(o.file) if o.kind == Artifact.Kind.FILE else None
        )

    work = _current_work()
    kind = Artifact.Kind.FILE
    file = factory.LazyAttribute(
        lambda o: (
            SimpleUploadedFile("k6-summary.txt", K6_SUMMARY, content_type="text/plain")
            if o.kind == Artifact.Kind.FILE
            else ""
        )
    )
    url = ""
    original_name = factory.LazyAttribute(lambda o: o.file.name if o.checked else "")
    content_type = factory.LazyAttribute(lambda o: o.checked.content_type if o.checked else "")
    size = factory.LazyAttribute(lambda o: o.checked.size if o.checked else 0)
    sha256 = factory.LazyAttribute(lambda o: o.checked.sha256 if o.checked else "")
    proves = "p95 under 50 ms at 200 requests/s"
    evidence_item = ""
    uploaded_by = factory.SelfAttribute("work.student")

    @classmethod
    def _create(cls, model_class, *, work, kind, file, url, proves, evidence_item, uploaded_by, **computed):
        if kind == Artifact.Kind.FILE:
            artifact = services.artifact_upload(
                work=work, upload=file, proves=proves, evidence_item=evidence_item, by=uploaded_by
            )
        else:
            artifact = services.artifact_add_link(
                work=work, url=url, proves=proves, evidence_item=evidence_item, by=uploaded_by
            )
        differing = sorted(name for name, value in computed.items() if getattr(artifact, name) != value)
        if differing:
            raise ValueError(f"{differing} are measured from the content on upload; pass another file= instead.")
        return artifact


class RevisionArtifactFactory(factory.django.DjangoModelFactory):
    """An artifact frozen into a revision. Only work_submit links them (the rows are
    immutable), so this submits the artifact's work (RevisionFactory) and returns the link
    the submission made."""

    class Meta:
        model = RevisionArtifact

    artifact = factory.SubFactory(ArtifactFactory)
    revision = factory.LazyAttribute(lambda o: RevisionFactory(work=o.artifact.work))

    @classmethod
    def _create(cls, model_class, *, revision, artifact):
        link = model_class.objects.filter(revision=revision, artifact=artifact).first()
        if link is None:
            raise ValueError(f"Revision {revision.pk} did not freeze artifact {artifact.pk}.")
        return link


class RiskEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RiskEntry

    cohort = factory.SubFactory("tests.factories.cohorts.CohortFactory")
    student = factory.SubFactory("tests.factories.accounts.UserFactory")
    kind = RiskEntry.Kind.RISK
    title = factory.Sequence(lambda n: f"Connection pool exhaustion under burst load #{n}")
    severity = RiskEntry.Severity.MEDIUM
    week_opened = factory.LazyAttribute(lambda o: o.cohort.course.weeks.get(number=1))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        entry = super()._create(model_class, *args, **kwargs)
        tell_student_changed(entry.cohort_id, entry.student_id)
        return entry


class RetrospectiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Retrospective

    cohort = factory.SubFactory("tests.factories.cohorts.CohortFactory")
    student = factory.SubFactory("tests.factories.accounts.UserFactory")
    week = factory.LazyAttribute(lambda o: o.cohort.course.weeks.get(number=1))
    retain = "Measuring before changing anything."
    improve = "Start the load tests earlier in the week."
    scale = "Keep a latency budget for every new endpoint."

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        retrospective = super()._create(model_class, *args, **kwargs)
        tell_student_changed(retrospective.cohort_id, retrospective.student_id)
        return retrospective


class ImproveItemStatusFactory(factory.django.DjangoModelFactory):
    """A student's status for an improve item of their week-1 retrospective, set in week 2."""

    class Meta:
        model = ImproveItemStatus

    student = factory.SubFactory("tests.factories.accounts.UserFactory")
    cohort = factory.SubFactory("tests.factories.cohorts.CohortFactory")
    origin_week = factory.LazyAttribute(lambda o: o.cohort.course.weeks.get(number=1))
    week = factory.LazyAttribute(lambda o: o.cohort.course.weeks.get(number=2))
    text = "Alert on p95 latency, not the mean"
    key = factory.LazyAttribute(lambda o: improve_item_key(o.text))
    status = ImproveItemStatus.Status.CARRIED
    note = "Needs the dashboard from week 3."


class EvidencePreviewFactory(factory.django.DjangoModelFactory):
    """The preview row of uploaded evidence (uploading makes it, pending, and queues its build)."""

    class Meta:
        model = EvidencePreview

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        artifact = ArtifactFactory(**kwargs)
        preview, _ = EvidencePreview.objects.get_or_create(artifact=artifact)
        return preview

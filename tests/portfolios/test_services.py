import pytest
from django.core.exceptions import ValidationError

from portfolios import services
from portfolios.models import Portfolio, PortfolioEntry
from portfolios.selectors import mentor_score_for_revision
from submissions import services as work_services
from submissions.models import Artifact, WeeklyWork
from tests.factories import PortfolioFactory

from .conftest import first_deliverable


def _artifact_ids(work):
    return list(work.latest_revision.artifacts.values_list("pk", flat=True))


def test_publish_snapshots_the_accepted_revision(people, accepted):
    work = accepted(week=3)
    entry = services.entry_publish(
        work=work, by=people.student, narrative="Cut p95 from 480 ms to 41 ms.", artifact_ids=_artifact_ids(work)
    )
    assert entry.revision_id == work.latest_revision_id
    assert entry.revision_number == 1
    assert (entry.title, entry.week_number, entry.phase, entry.is_capstone) == (work.week.title, 3, 1, False)
    assert entry.bloom_levels and all({"key", "name"} <= set(level) for level in entry.bloom_levels)
    proofs = list(entry.proofs.order_by("order"))
    assert [p.kind for p in proofs] == ["file", "link"]
    file_artifact = work.latest_revision.artifacts.get(kind="file")
    assert (proofs[0].sha256, proofs[0].size, proofs[0].name) == (
        file_artifact.sha256,
        file_artifact.size,
        file_artifact.original_name,
    )


def test_publish_marks_the_work_published(people, accepted):
    work = accepted(week=1)
    services.entry_publish(work=work, by=people.student, narrative="Story", artifact_ids=[])
    work.refresh_from_db()
    assert work.published_at is not None
    assert work.display_state == "published"


def test_publish_creates_a_private_portfolio_on_first_use(people, accepted):
    work = accepted(week=1)
    services.entry_publish(work=work, by=people.student, narrative="Story", artifact_ids=[])
    portfolio = Portfolio.objects.get(user=people.student)
    assert portfolio.visibility == Portfolio.Visibility.PRIVATE


def test_capstone_entry_records_its_project(people, accepted, course):
    deliverable = first_deliverable(course)
    work = accepted(deliverable=deliverable)
    entry = services.entry_publish(work=work, by=people.student, narrative="Story", artifact_ids=[])
    assert entry.is_capstone and entry.week_number is None and entry.phase is None
    assert entry.capstone_project.startswith(f"Project {deliverable.project.number}:")
    assert entry.title == deliverable.title


def test_only_accepted_work_can_be_published(people):
    week = people.cohort.course.weeks.get(number=2)
    work = work_services.work_get_or_create(student=people.student, cohort=people.cohort, week=week)
    work_services.work_submit(work=work, by=people.student)
    with pytest.raises(ValidationError, match="accepted"):
        services.entry_publish(work=work, by=people.student, narrative="Story", artifact_ids=[])
    assert not PortfolioEntry.objects.exists()


def test_only_the_learner_can_publish(people, accepted):
    work = accepted(week=1)
    with pytest.raises(ValidationError):
        services.entry_publish(work=work, by=people.mentor, narrative="Story", artifact_ids=[])


def test_artifacts_outside_the_revision_are_refused(people, accepted):
    work = accepted(week=1)
    other = accepted(week=2, student=people.other_student)
    foreign = other.latest_revision.artifacts.first()
    with pytest.raises(ValidationError, match="accepted revision"):
        services.entry_publish(work=work, by=people.student, narrative="Story", artifact_ids=[foreign.pk])


def test_a_draft_artifact_added_after_acceptance_cannot_be_picked(people, accepted):
    work = accepted(week=1)
    WeeklyWork.objects.filter(pk=work.pk).update(state=WeeklyWork.State.CHANGES_REQUESTED)  # the mentor reopens it
    work.refresh_from_db()
    late = work_services.artifact_add_link(work=work, url="https://example.com/late", proves="Later", by=people.student)
    WeeklyWork.objects.filter(pk=work.pk).update(state=WeeklyWork.State.ACCEPTED)
    work.refresh_from_db()
    with pytest.raises(ValidationError):
        services.entry_publish(work=work, by=people.student, narrative="Story", artifact_ids=[late.pk])


def test_later_edits_and_revisions_do_not_change_the_entry(people, accepted):
    work = accepted(week=4, text="First version")
    entry = services.entry_publish(
        work=work, by=people.student, narrative="Original story", artifact_ids=_artifact_ids(work)
    )
    before = PortfolioEntry.objects.get(pk=entry.pk)
    proofs_before = list(before.proofs.values_list("artifact_id", "sha256", "name"))
    # The mentor reopens the work; the learner edits, adds evidence, resubmits and is accepted again.
    WeeklyWork.objects.filter(pk=work.pk).update(state=WeeklyWork.State.CHANGES_REQUESTED)
    work.refresh_from_db()
    work_services.work_save_draft(
        work=work, content={"concept": {"text": "Rewritten"}}, expected_version=work.draft_version, by=people.student
    )
    work_services.artifact_add_link(work=work, url="https://example.com/v2", proves="v2", by=people.student)
    revision = work_services.work_submit(work=work, by=people.student)
    work_services.work_accept(work=work, revision=revision, by=people.mentor)
    after = PortfolioEntry.objects.get(pk=entry.pk)
    assert (after.revision_id, after.revision_number, after.narrative, after.published_at) == (
        before.revision_id,
        1,
        "Original story",
        before.published_at,
    )
    assert list(after.proofs.values_list("artifact_id", "sha256", "name")) == proofs_before


def test_republish_replaces_the_snapshot_atomically(people, accepted):
    work = accepted(week=4)
    entry = services.entry_publish(work=work, by=people.student, narrative="Old", artifact_ids=_artifact_ids(work))
    services.entry_set_featured(entry=entry, by=people.student, featured=True)
    WeeklyWork.objects.filter(pk=work.pk).update(state=WeeklyWork.State.CHANGES_REQUESTED)
    work.refresh_from_db()
    new_link = work_services.artifact_add_link(work=work, url="https://example.com/v2", proves="v2", by=people.student)
    revision = work_services.work_submit(work=work, by=people.student)
    work_services.work_accept(work=work, revision=revision, by=people.mentor)
    republished = services.entry_publish(work=work, by=people.student, narrative="New", artifact_ids=[new_link.pk])
    assert republished.pk == entry.pk
    assert (republished.revision_id, republished.revision_number, republished.narrative) == (revision.pk, 2, "New")
    assert list(republished.proofs.values_list("artifact_id", flat=True)) == [new_link.pk]
    assert PortfolioEntry.objects.get(pk=entry.pk).featured is True


def test_unpublish_hides_and_republish_restores(people, accepted):
    work = accepted(week=1)
    entry = services.entry_publish(work=work, by=people.student, narrative="Story", artifact_ids=[])
    services.entry_unpublish(entry=entry, by=people.student)
    assert not PortfolioEntry.objects.published().filter(pk=entry.pk).exists()
    work.refresh_from_db()
    assert work.published_at is None and work.display_state == "accepted"  # the dashboard follows
    services.entry_publish(work=work, by=people.student, narrative="Story", artifact_ids=[])
    assert PortfolioEntry.objects.published().filter(pk=entry.pk).exists()
    work.refresh_from_db()
    assert work.display_state == "published"


def test_every_visible_change_raises_the_version(people, accepted):
    work = accepted(week=1)
    other = accepted(week=2)
    entry = services.entry_publish(work=work, by=people.student, narrative="Story", artifact_ids=[])
    portfolio = Portfolio.objects.get(user=people.student)
    start = portfolio.version
    services.entry_publish(work=other, by=people.student, narrative="Story 2", artifact_ids=[])
    services.entry_set_featured(entry=entry, by=people.student, featured=True)
    services.entry_move(entry=entry, by=people.student, direction="down")
    services.portfolio_update_profile(
        portfolio=portfolio, slug=portfolio.slug, display_name="Sam", visibility=Portfolio.Visibility.PUBLIC
    )
    services.entry_unpublish(entry=entry, by=people.student)
    portfolio.refresh_from_db()
    assert portfolio.version == start + 5


def test_move_swaps_neighbours(people, accepted):
    works = [accepted(week=n) for n in (1, 2, 3)]
    entries = [services.entry_publish(work=w, by=people.student, narrative="S", artifact_ids=[]) for w in works]
    services.entry_move(entry=entries[2], by=people.student, direction="up")
    order = list(PortfolioEntry.objects.order_by("order").values_list("pk", flat=True))
    assert order == [entries[0].pk, entries[2].pk, entries[1].pk]


def test_profile_update_refuses_a_taken_slug(people):
    PortfolioFactory(slug="sam-student")
    mine = PortfolioFactory(user=people.student, slug="someone-else")
    with pytest.raises(ValidationError) as caught:
        services.portfolio_update_profile(portfolio=mine, slug="sam-student", display_name="Sam")
    assert "slug" in caught.value.message_dict


def test_profile_update_refuses_a_reserved_slug(people):
    mine = PortfolioFactory(user=people.student)
    with pytest.raises(ValidationError) as caught:
        services.portfolio_update_profile(portfolio=mine, slug="admin", display_name="Sam")
    assert "slug" in caught.value.message_dict


def test_slug_suggestion_avoids_taken_and_reserved(people):
    people.student.name = "Admin"
    PortfolioFactory(slug="admin-portfolio")
    suggestion = services.portfolio_slug_suggestion(people.student)
    assert suggestion not in ("admin", "admin-portfolio")


def test_mentor_score_is_none_without_an_assessment(people, accepted):
    work = accepted(week=1)
    assert mentor_score_for_revision(work.latest_revision) is None
    entry = services.entry_publish(work=work, by=people.student, narrative="S", artifact_ids=[], include_score=True)
    assert entry.mentor_score is None


def test_artifact_rows_stay_frozen_in_proofs(people, accepted):
    work = accepted(week=1)
    entry = services.entry_publish(work=work, by=people.student, narrative="S", artifact_ids=_artifact_ids(work))
    artifact = Artifact.objects.get(pk=entry.proofs.get(kind="file").artifact_id)
    assert entry.proofs.get(kind="file").sha256 == artifact.sha256 != ""

import datetime
import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone
from simple_history.models import HistoricalRecords

from accounts.models import validate_time_zone
from curriculum.models import Course, Week


class Cohort(models.Model):
    """One run of a course version, with its own calendar and review settings."""

    class LatePolicy(models.TextChoices):
        MARK_LATE = "mark_late", "Accept late work and mark it late"
        REFUSE = "refuse", "Refuse submissions after the due date"

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="cohorts")
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True)
    start_date = models.DateField(help_text="Week 1 opens at midnight of this day in the cohort's time zone.")
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    due_time = models.TimeField(
        default=datetime.time(23, 59),
        help_text="Each week is due at this local time on its seventh day.",
    )
    late_policy = models.CharField(max_length=20, choices=LatePolicy.choices, default=LatePolicy.MARK_LATE)
    review_deadline_hours = models.PositiveSmallIntegerField(
        default=72, help_text="A submission waiting longer than this for its mentor review is flagged."
    )
    peer_reviewers_per_submission = models.PositiveSmallIntegerField(default=2)
    peer_review_window_days = models.PositiveSmallIntegerField(default=7)
    peer_review_anonymous = models.BooleanField(
        default=True,
        help_text="Authors see their peer reviewers as “Peer reviewer 1, 2…”. Turn off for open peer review, "
        "where authors see who reviewed; it applies to reviews assigned from then on.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Part of the cache key of the gradebook's and heatmap's rendering (insights/grid_cache.py):
    # every service that changes what a cell, a total or an at-risk mark shows bumps it in the
    # same transaction (cohorts.services.cohort_grades_changed), so a cached page never
    # outlives the data it was made from.
    grades_version = models.PositiveBigIntegerField(default=0, editable=False)
    # With grades_version, part of the key of a cached list of the cohort's work (the API's
    # works list, core/pagecache.py): bumped by what changes a listed work without changing
    # its grades (a draft saved: cohorts.services.cohort_works_changed). Kept apart so that
    # autosaves never throw the gradebook's cached renderings away.
    works_version = models.PositiveBigIntegerField(default=0, editable=False)
    # Part of the key of the cached cohort page (cohorts/views.py): bumped in the transaction
    # that creates, revokes or accepts an invitation (cohorts.services.cohort_invitations_changed),
    # so its list of pending invitations is never older than the database. Kept apart from
    # grades_version: an invitation changes no grade, and must not throw away the gradebook.
    invitations_version = models.PositiveBigIntegerField(default=0, editable=False)
    history = HistoricalRecords(excluded_fields=["grades_version", "works_version", "invitations_version"])

    class Meta:
        ordering = ["-start_date", "name"]

    def __str__(self) -> str:
        return self.name


class MembershipQuerySet(models.QuerySet):
    """The one owner of "is a student (mentor, instructor) of this cohort": pages, the API,
    services, reports and reminders all ask through these methods."""

    def students(self) -> "MembershipQuerySet":
        return self.filter(role=Membership.Role.STUDENT)

    def mentors(self) -> "MembershipQuerySet":
        return self.filter(role=Membership.Role.MENTOR)

    def instructors(self) -> "MembershipQuerySet":
        return self.filter(role=Membership.Role.INSTRUCTOR)

    def teachers(self) -> "MembershipQuerySet":
        """Mentors and instructors: the people who review and see more than their own work."""
        return self.filter(role__in=Membership.TEACHING_ROLES)

    def of(self, *, user, cohort=None) -> "MembershipQuerySet":
        """The user's memberships (in one cohort when given); none for an anonymous visitor."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        found = self.filter(user=user)
        return found if cohort is None else found.filter(cohort=cohort)

    def role_of(self, *, user, cohort) -> str | None:
        """The user's role in the cohort, or None (one query; none for a visitor)."""
        if not getattr(user, "is_authenticated", False):
            return None
        return self.of(user=user, cohort=cohort).values_list("role", flat=True).first()

    def is_student(self, *, user, cohort) -> bool:
        return self.of(user=user, cohort=cohort).students().exists()

    def is_mentor(self, *, user, cohort) -> bool:
        return self.of(user=user, cohort=cohort).mentors().exists()

    def is_instructor(self, *, user, cohort) -> bool:
        return self.of(user=user, cohort=cohort).instructors().exists()

    def is_teacher(self, *, user, cohort) -> bool:
        return self.of(user=user, cohort=cohort).teachers().exists()

    def instructed_cohort_ids(self, *, user) -> "MembershipQuerySet":
        """The ids of the cohorts the user instructs, as a subquery (`cohort_id__in=`)."""
        return self.of(user=user).instructors().values("cohort_id")


class Membership(models.Model):
    class Role(models.TextChoices):
        STUDENT = "student", "Student"
        MENTOR = "mentor", "Mentor"
        INSTRUCTOR = "instructor", "Instructor"

    # The roles that review and see more than their own work.
    TEACHING_ROLES = frozenset({Role.MENTOR, Role.INSTRUCTOR})

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["cohort", "role", "user__email"]
        constraints = [models.UniqueConstraint(fields=["cohort", "user"], name="membership_one_role_per_cohort")]
        indexes = [models.Index(fields=["user", "role"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.cohort}"


class MentorAssignmentQuerySet(models.QuerySet):
    def is_mentor_of(self, *, mentor, student, cohort) -> bool:
        """Is `mentor` assigned to `student` in `cohort`? (one query)"""
        if not getattr(mentor, "is_authenticated", False):
            return False
        return self.filter(cohort=cohort, mentor=mentor, student=student).exists()


class MentorAssignment(models.Model):
    """A mentor looks after a student within one cohort."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="mentor_assignments")
    mentor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentees")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentors")
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    objects = MentorAssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["cohort", "mentor__email", "student__email"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "mentor", "student"], name="mentor_assignment_unique"),
            models.CheckConstraint(condition=~models.Q(mentor=models.F("student")), name="mentor_is_not_student"),
        ]

    def __str__(self) -> str:
        return f"{self.mentor} mentors {self.student} in {self.cohort}"


class Extension(models.Model):
    """A later due date for one student and one week (and anything else due that week)."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="extensions")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="extensions")
    # PROTECT, as for weekly work: removing a week must never silently take a student's extension with it.
    week = models.ForeignKey(Week, on_delete=models.PROTECT, related_name="extensions")
    due_at = models.DateTimeField()
    reason = models.CharField(max_length=300, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["cohort", "week__number"]
        constraints = [models.UniqueConstraint(fields=["cohort", "student", "week"], name="extension_unique")]

    def __str__(self) -> str:
        return f"Extension for {self.student}, week {self.week.number}"


class EndedMentorAssignment(models.Model):
    """A mentor assignment that ended because the student or the mentor left the cohort. It is
    kept so that adding the person back restores who mentored whom instead of losing it."""

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="ended_mentor_assignments")
    mentor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["cohort", "-ended_at"]
        constraints = [
            models.UniqueConstraint(fields=["cohort", "mentor", "student"], name="ended_mentor_assignment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.mentor} mentored {self.student} in {self.cohort} (ended)"


class CohortInvitationQuerySet(models.QuerySet):
    def pending(self, *, now: datetime.datetime) -> "CohortInvitationQuerySet":
        """Neither accepted nor revoked, and not yet expired."""
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)

    def open(self) -> "CohortInvitationQuerySet":
        """Neither accepted nor revoked (expired ones included): at most one per address."""
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True)


class CohortInvitation(models.Model):
    """An e-mailed, single-use and expiring invitation to join a cohort in one role. Only the
    SHA-256 of the link's token is stored: a database leak does not leak working links."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACCEPTED = "accepted", "Accepted"
        REVOKED = "revoked", "Revoked"
        EXPIRED = "expired", "Expired"

    cohort = models.ForeignKey(Cohort, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(help_text="Stored in lower case; matched case-insensitively.")
    role = models.CharField(max_length=20, choices=Membership.Role.choices)
    mentor_email = models.EmailField(blank=True, help_text="For a student: the mentor assigned on acceptance.")
    name = models.CharField(max_length=150, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = CohortInvitationQuerySet.as_manager()

    class Meta:
        ordering = ["cohort", "email", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["cohort", "email"],
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="cohort_invitation_one_open_per_address",
            )
        ]

    def __str__(self) -> str:
        return f"Invitation of {self.email} to {self.cohort} as {self.role}"

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def status_at(self, now: datetime.datetime) -> str:
        if self.accepted_at is not None:
            return self.Status.ACCEPTED
        if self.revoked_at is not None:
            return self.Status.REVOKED
        if self.expires_at <= now:
            return self.Status.EXPIRED
        return self.Status.PENDING

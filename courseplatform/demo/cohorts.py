"""Demo accounts and the demo cohort."""

import datetime
import secrets

from allauth.account.models import EmailAddress

from accounts.models import User
from cohorts.models import Cohort, CohortInvitation, Membership
from cohorts.schedule import week_window
from cohorts.services import cohort_create, extension_grant, invitation_create, membership_add, mentor_assign
from courseplatform.demo import DemoContext

DEMO_PEOPLE = [
    # (e-mail, name, time zone, role)
    ("admin@demo.example", "Ada Admin", "Europe/Berlin", "admin"),
    ("instructor@demo.example", "Ingrid Instructor", "Europe/Berlin", Membership.Role.INSTRUCTOR),
    ("mentor.maya@demo.example", "Maya Mentor", "Europe/Lisbon", Membership.Role.MENTOR),
    ("mentor.omar@demo.example", "Omar Mentor", "America/New_York", Membership.Role.MENTOR),
    ("sam@demo.example", "Sam Student", "Europe/Berlin", Membership.Role.STUDENT),
    ("lee@demo.example", "Lee Student", "Asia/Singapore", Membership.Role.STUDENT),
    ("priya@demo.example", "Priya Student", "Asia/Kolkata", Membership.Role.STUDENT),
    ("jonas@demo.example", "Jonas Student", "Europe/Berlin", Membership.Role.STUDENT),
    ("amara@demo.example", "Amara Student", "Africa/Lagos", Membership.Role.STUDENT),
    ("diego@demo.example", "Diego Student", "America/Mexico_City", Membership.Role.STUDENT),
]
DEMO_COHORT_SLUG = "demo-cohort"


OTHER_COHORT_PEOPLE = [
    ("mentor.kai@demo.example", "Kai Mentor", "America/New_York", Membership.Role.MENTOR),
    ("noor@demo.example", "Noor Student", "America/Chicago", Membership.Role.STUDENT),
    ("tomas@demo.example", "Tomás Student", "America/Sao_Paulo", Membership.Role.STUDENT),
]


def _account(demo: DemoContext, email: str, name: str, time_zone: str, is_admin: bool) -> User:
    user = User.objects.filter(email=email).first()
    password = None
    if user is None:
        password = secrets.token_urlsafe(12)
        user = User.objects.create_user(
            email=email, password=password, name=name, time_zone=time_zone, is_staff=is_admin, is_superuser=is_admin
        )
    elif demo.reset_passwords:
        password = secrets.token_urlsafe(12)
        user.set_password(password)
        user.save(update_fields=["password"])
    EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    if password:
        demo.write(f"  {email:<28} {password}")
    return user


def seed(demo: DemoContext) -> None:
    fresh = demo.reset_passwords or not User.objects.filter(email=DEMO_PEOPLE[0][0]).exists()
    if fresh:
        demo.write("Demo accounts (e-mail and password, shown only now; every address ends in @demo.example):")
    else:
        demo.write("Demo accounts exist already; `python manage.py seed_demo --reset-passwords` prints new passwords.")
    people = {}
    for email, name, time_zone, role in DEMO_PEOPLE:
        people[email] = (_account(demo, email, name, time_zone, role == "admin"), role)

    cohort = Cohort.objects.filter(slug=DEMO_COHORT_SLUG).first()
    if cohort is None:
        # Start five weeks ago on a Monday, so the demo sits in week 6 with history behind it.
        today = demo.now.date()
        start = today - datetime.timedelta(days=today.weekday() + 35)
        cohort = cohort_create(
            course=demo.course,
            name="Demo cohort",
            slug=DEMO_COHORT_SLUG,
            start_date=start,
            time_zone="Europe/Berlin",
            review_deadline_hours=72,
        )
    demo.cohort = cohort
    for user, role in people.values():
        if role == "admin":
            demo.admin = user
            continue
        membership_add(cohort=cohort, user=user, role=role)
        if role == Membership.Role.INSTRUCTOR:
            demo.instructor = user
        elif role == Membership.Role.MENTOR:
            demo.mentors.append(user)
        else:
            demo.students.append(user)
    for index, student in enumerate(demo.students):
        mentor_assign(cohort=cohort, mentor=demo.mentors[0 if index < 3 else 1], student=student)

    week_five = demo.course.weeks.get(number=5)
    extension_grant(
        cohort=cohort,
        student=demo.students[1],
        week=week_five,
        due_at=week_window(cohort, 5).due_at + datetime.timedelta(days=3),
        reason="Conference travel",
        granted_by=demo.instructor,
    )

    # One pending invitation, so the cohort page's "Pending invitations" has something to show
    # (the link is e-mailed to the console backend; invite again from the page for a new one).
    invited = "rosa.mentor@demo.example"
    if not CohortInvitation.objects.filter(cohort=cohort, email=invited).exists():
        invitation_create(cohort=cohort, email=invited, role=Membership.Role.MENTOR, invited_by=demo.instructor)

    # A second cohort with its own mentor, so "a mentor of another cohort" exists in the demo.
    other = Cohort.objects.filter(slug="autumn-cohort").first() or cohort_create(
        course=demo.course,
        name="Autumn cohort",
        slug="autumn-cohort",
        start_date=cohort.start_date + datetime.timedelta(days=28),
        time_zone="America/New_York",
    )
    demo.other_cohort = other
    other_people = [(_account(demo, e, n, tz, False), role) for e, n, tz, role in OTHER_COHORT_PEOPLE]
    for user, role in other_people:
        membership_add(cohort=other, user=user, role=role)
    mentor = other_people[0][0]
    for user, _ in other_people[1:]:
        mentor_assign(cohort=other, mentor=mentor, student=user)

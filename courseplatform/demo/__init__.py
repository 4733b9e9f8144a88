"""Shared pieces of the demo that `seed_demo` builds.

Each app that adds something to the demo has a module here, named after the app, with
`seed(demo: DemoContext)`; `seed_demo` runs them in order (see DEMO_STEPS there). Every
step is idempotent: running the command twice leaves the same demo. The steps live in the
composition layer, not in the apps, because a demo needs every app at once (the rubrics
step scores work that the submissions step made) and only this layer may import them all.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from accounts.models import User
from cohorts.models import Cohort
from curriculum.models import Course


@dataclass
class DemoContext:
    course: Course
    now: datetime
    write: Callable[[str], None]
    reset_passwords: bool = False
    cohort: Cohort | None = None
    admin: User | None = None
    instructor: User | None = None
    mentors: list[User] = field(default_factory=list)
    students: list[User] = field(default_factory=list)
    other_cohort: Cohort | None = None

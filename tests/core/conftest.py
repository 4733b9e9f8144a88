"""Fixtures the core tests borrow: the scored cohort of the progress tests (the fast path's
gradebook and mastery pages need grades to show)."""

from tests.progress.conftest import rubric, scored

__all__ = ["rubric", "scored"]

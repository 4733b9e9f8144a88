"""The roles a person holds (student, mentor, instructor), answered by the app that grants them.

accounts is the bottom domain layer and must not import cohorts, where memberships and so
roles live (the import contracts in .importlinter forbid it). Instead, cohorts registers its
answer here in `CohortsConfig.ready()`, and accounts (the second-factor rule, /api/v1/me/)
asks through `roles_of`.
"""

from collections.abc import Callable

from .models import User

RoleSource = Callable[[User], set[str]]

_sources: list[RoleSource] = []


def register_role_source(source: RoleSource) -> None:
    """Add an app's answer to "which roles does this person hold"; registering twice is harmless."""
    if source not in _sources:
        _sources.append(source)


def roles_of(user: User) -> set[str]:
    """Every role the person holds anywhere on the platform (one query per registered source)."""
    roles: set[str] = set()
    for source in _sources:
        roles |= source(user)
    return roles

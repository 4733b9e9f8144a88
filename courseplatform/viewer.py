"""The signed-in person as the fast path reads them (courseplatform/fast_path.py): their user
row, their membership stamps and their unread count, in one statement.

Each part is the same compiled query the full path runs on its own (accounts.selectors.
USER_BY_ID, cohorts.selectors.MEMBERSHIP_STAMPS, the unread count of the navigation), so both
paths make the same values of the same rows: the user instance with the model's converters,
the stamps as the driver gives them. One statement instead of three: each query costs about
0.2 ms of the process's CPU (the driver, Django's cursor, the metrics) and a round trip, on an
answer of about 1.5 ms. On PostgreSQL it is a prepared statement (core/prepared.py): planning
the three joined queries cost the database more than running them.
"""

from typing import NamedTuple

from django.contrib.sessions.models import Session
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import OuterRef
from django.utils import timezone

from accounts.authentication import TOKEN_BY_PREFIX
from accounts.models import PersonalAccessToken, User
from accounts.selectors import USER_BY_ID
from cohorts.models import Membership
from cohorts.selectors import MEMBERSHIP_STAMP_FIELDS, MEMBERSHIP_STAMPS, MembershipStamp
from core import prepared
from core.compiled_query import STR_STAND_IN, CompiledQuery
from notifications.selectors import unread_count_subquery


class Viewer(NamedTuple):
    user: User
    stamps: tuple[MembershipStamp, ...]
    unread_notifications: int


UNREAD_COUNT = CompiledQuery(
    lambda user_id: (
        User.objects.filter(pk=user_id)
        .annotate(unread=unread_count_subquery(OuterRef("pk")))
        .values("unread")
        .order_by()
    )
)


def _viewer_statement(user_id: int, using: str) -> tuple[str, tuple]:
    """(the FROM clause's joins, params) of the viewer's three queries; their stamps' rows are
    ordered by `viewer_stamps.cohort_id`."""
    parts = [query.sql(user_id, using=using) for query in (USER_BY_ID, UNREAD_COUNT, MEMBERSHIP_STAMPS)]
    (user_sql, user_params), (unread_sql, unread_params), (stamps_sql, stamps_params) = parts
    joins = (
        f"({user_sql}) viewer_user CROSS JOIN ({unread_sql}) viewer_unread "
        f"LEFT JOIN ({stamps_sql}) viewer_stamps ON 1 = 1"
    )
    return joins, (*user_params, *unread_params, *stamps_params)


def _viewer_of_rows(rows: list[tuple], using: str) -> Viewer | None:
    """The viewer from the rows of `_viewer_statement`'s columns (None: no such account)."""
    if not rows or rows[0][0] is None:
        return None
    width = USER_BY_ID.column_count(using=using)
    (user,) = USER_BY_ID.objects_from_rows([tuple(rows[0][:width])], using=using)
    stamps = tuple(MembershipStamp(*row[width + 1 :]) for row in rows if row[width + 1] is not None)
    return Viewer(user, stamps, int(rows[0][width] or 0))


def viewer_get(user_id: int, *, using: str = DEFAULT_DB_ALIAS) -> Viewer | None:
    """The account with this id (None when it is gone), its membership stamps by cohort and its
    unread count, in one round trip: one row per membership (one with empty stamp columns for
    a person of no cohort)."""
    joins, params = _viewer_statement(user_id, using)
    with connections[using].cursor() as cursor:
        prepared.execute(cursor, f"SELECT * FROM {joins} ORDER BY viewer_stamps.cohort_id", params)
        rows = cursor.fetchall()
    return _viewer_of_rows(rows, using)


def session_and_viewer_get(
    session_key: str, user_id: int, *, using: str = DEFAULT_DB_ALIAS
) -> tuple[str | None, Viewer | None]:
    """The data of the session row `session_key` (None when there is no such session or it has
    expired) and, read in the same statement, the viewer `user_id` as `viewer_get` reads them
    (None when that account is gone): for the fast path's repeat visitor, whose user id it
    learnt from an earlier answer. The row's data says whether that is still the session's user."""
    joins, params = _viewer_statement(user_id, using)
    quote = connections[using].ops.quote_name
    sql = (
        f"SELECT session_row.{quote('session_data')}, viewer.* "
        f"FROM {quote(Session._meta.db_table)} session_row "
        f"LEFT JOIN (SELECT * FROM {joins}) viewer ON 1 = 1 "
        f"WHERE session_row.{quote('session_key')} = %s AND session_row.{quote('expire_date')} > %s "
        f"ORDER BY viewer.cohort_id"
    )
    now = connections[using].ops.adapt_datetimefield_value(timezone.now())
    with connections[using].cursor() as cursor:
        prepared.execute(cursor, sql, (*params, session_key, now))
        rows = cursor.fetchall()
    if not rows:
        return None, None
    return rows[0][0], _viewer_of_rows([row[1:] for row in rows], using)


# The membership stamps of a personal access token's owner, by the token's prefix: the same
# columns and values as MEMBERSHIP_STAMPS, so an API list is keyed alike on both paths.
STAMPS_OF_TOKEN_OWNER = CompiledQuery(
    lambda prefix: (
        Membership.objects.filter(user__access_tokens__prefix=prefix)
        .order_by("cohort_id")
        .values(*MEMBERSHIP_STAMP_FIELDS)
    ),
    stand_in=STR_STAND_IN,
)


def token_and_stamps_get(
    prefix: str, *, using: str = DEFAULT_DB_ALIAS
) -> tuple[PersonalAccessToken | None, tuple[MembershipStamp, ...]]:
    """The token with this prefix with its user, as accounts.authentication reads it (None: no
    such token), and its owner's membership stamps, in one statement: the fast path's API
    answer (courseplatform/fast_path.py) checks the token and keys the list with them."""
    (token_sql, token_params), (stamps_sql, stamps_params) = (
        TOKEN_BY_PREFIX.sql(prefix, using=using),
        STAMPS_OF_TOKEN_OWNER.sql(prefix, using=using),
    )
    sql = (
        f"SELECT * FROM ({token_sql}) viewer_token LEFT JOIN ({stamps_sql}) viewer_stamps ON 1 = 1 "
        f"ORDER BY viewer_stamps.cohort_id"
    )
    with connections[using].cursor() as cursor:
        prepared.execute(cursor, sql, (*token_params, *stamps_params))
        rows = cursor.fetchall()
    if not rows:
        return None, ()
    width = TOKEN_BY_PREFIX.column_count(using=using)
    (token,) = TOKEN_BY_PREFIX.objects_from_rows([tuple(rows[0][:width])], using=using)
    stamps = tuple(MembershipStamp(*row[width:]) for row in rows if row[width] is not None)
    return token, stamps

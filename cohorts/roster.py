"""Reading a roster CSV (email, role, optional name, optional mentor email) into checked lines
for the preview. Nothing here writes: services.roster_import applies the checked rows."""

import csv
import io
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models.functions import Lower

from accounts.models import User

from .models import Cohort, Membership

ADD, INVITE, MEMBER, ERROR = "add", "invite", "member", "error"
COLUMNS = ("email", "role", "name", "mentor_email")
_HEADER_ALIASES = {
    "e-mail": "email",
    "mail": "email",
    "mentor": "mentor_email",
    "mentor e-mail": "mentor_email",
    "mentor email": "mentor_email",
    "full name": "name",
}


@dataclass
class RosterLine:
    number: int
    email: str
    role: str
    name: str = ""
    mentor_email: str = ""
    status: str = ADD
    reasons: list[str] = field(default_factory=list)

    def as_row(self) -> dict:
        return {"email": self.email, "role": self.role, "name": self.name, "mentor_email": self.mentor_email}


def _decode(data: bytes) -> str:
    if len(data) > settings.ROSTER_IMPORT_MAX_BYTES:
        raise ValidationError(
            f"The file is {len(data):,} bytes; the limit is {settings.ROSTER_IMPORT_MAX_BYTES:,} bytes. Split it."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError("The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again.") from exc


def roster_check(cohort: Cohort, data: bytes) -> list[RosterLine]:
    """Every line of the file with what importing it would do, or why it cannot be imported.
    Cells are kept as plain text (a cell starting with = is just text, never evaluated).
    Raises ValidationError for a file that cannot be read at all (size, encoding, header)."""
    reader = csv.reader(io.StringIO(_decode(data), newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise ValidationError(
            "The file is empty. The first line names the columns: email, role, name, mentor_email."
        ) from exc
    names = [_HEADER_ALIASES.get(h.strip().lower(), h.strip().lower().replace(" ", "_")) for h in header]
    if "email" not in names or "role" not in names:
        raise ValidationError(
            "The first line must name the columns: email, role and optionally name and mentor_email "
            f"(found: {', '.join(h for h in header if h) or 'nothing'})."
        )
    lines: list[RosterLine] = []
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if len(lines) >= settings.ROSTER_IMPORT_MAX_ROWS:
                raise ValidationError(
                    f"The file has more than {settings.ROSTER_IMPORT_MAX_ROWS:,} people; the limit is "
                    f"{settings.ROSTER_IMPORT_MAX_ROWS:,}. Split it."
                )
            cells = dict(zip(names, (c.strip() for c in record), strict=False))
            lines.append(
                RosterLine(
                    number=reader.line_num,
                    email=cells.get("email", "").lower(),
                    role=cells.get("role", "").lower(),
                    name=cells.get("name", "")[:150],
                    mentor_email=cells.get("mentor_email", "").lower(),
                )
            )
    except csv.Error as exc:
        raise ValidationError(f"Line {reader.line_num} is not valid CSV ({exc}).") from exc
    if not lines:
        raise ValidationError("The file names its columns but lists nobody.")
    _judge(cohort, lines)
    return lines


def _judge(cohort: Cohort, lines: list[RosterLine]) -> None:
    # Two queries whatever the file's size: the cohort's members and the file's existing accounts.
    members = {
        email.lower(): role
        for email, role in Membership.objects.filter(cohort=cohort).values_list("user__email", "role")
    }
    existing = set(
        User.objects.annotate(address=Lower("email"))
        .filter(address__in=[line.email for line in lines])
        .values_list("address", flat=True)
    )
    file_roles = {}
    seen: dict[str, int] = {}
    for line in lines:
        try:
            validate_email(line.email)
        except ValidationError:
            line.reasons.append(f"“{line.email or '(empty)'}” is not an e-mail address")
        if line.role not in Membership.Role.values:
            line.reasons.append(f"unknown role “{line.role or '(empty)'}” (use student, mentor or instructor)")
        if line.email in seen:
            line.reasons.append(f"duplicate of line {seen[line.email]}")
        else:
            seen[line.email] = line.number
            file_roles[line.email] = line.role
    for line in lines:
        if line.mentor_email:
            if line.role != Membership.Role.STUDENT:
                line.reasons.append("only a student can be given a mentor")
            elif members.get(line.mentor_email) != Membership.Role.MENTOR and (
                file_roles.get(line.mentor_email) != Membership.Role.MENTOR
            ):
                line.reasons.append(f"mentor {line.mentor_email} is not a mentor of this cohort nor in the file")
        held = members.get(line.email)
        if not line.reasons and held is not None and held != line.role:
            line.reasons.append(f"already a {held} in this cohort; remove them first to change the role")
        if line.reasons:
            line.status = ERROR
        elif held is not None:
            line.status = MEMBER
        else:
            line.status = ADD if line.email in existing else INVITE

"""Actions that change the curriculum."""

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import ProtectedError, RestrictedError
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User

from .history import IMPORT_REASON_PREFIX
from .lint import without_repeated_sentences
from .models import (
    BloomLevel,
    BloomVerb,
    CapstoneDeliverable,
    CapstoneProject,
    Course,
    ImportBaseline,
    ImportConflict,
    Lab,
    Objective,
    QualityGate,
    Week,
)
from .parsing import ParsedCourse, parse_curriculum


class CurriculumImportError(Exception):
    """The document parsed, but applying it would break data that depends on it."""


# --- The Bloom level follows the verb --------------------------------------------------------


def bloom_mapping_url() -> str:
    return reverse("admin:curriculum_bloomverb_changelist")


class UnmappedVerbError(ValidationError):
    """An outcome's verb that the Bloom verb mapping does not know, so it has no level."""

    def __init__(self, verb: str):
        self.verb = verb
        self.url = bloom_mapping_url()
        self.plain_message = (
            f"the verb “{verb}” has no Bloom level in the verb mapping; add it to the mapping ({self.url})"
        )
        super().__init__(
            {
                "verb": ValidationError(
                    f"{self.plain_message[0].upper()}{self.plain_message[1:]}, or tick “override level” and choose "
                    "the level yourself.",
                    code="unmapped_verb",
                )
            }
        )


def objective_bloom_level(
    *,
    verb: str,
    kind: str,
    level: BloomLevel | None,
    overridden: bool,
    mapping: dict[str, BloomLevel] | None = None,
) -> BloomLevel | None:
    """The Bloom level an objective holds: the one its verb maps to, unless an admin overrode
    it (then the chosen level, which an outcome must have). Routines have none unless
    overridden. The one rule for the admin, the API and the import; raises UnmappedVerbError
    for an outcome whose verb the mapping lacks."""
    if overridden:
        if level is None and kind == Objective.Kind.OUTCOME:
            raise ValidationError(
                {"bloom_level": "Choose the level to keep, or untick “override level” to let the verb decide."}
            )
        return level
    if kind != Objective.Kind.OUTCOME:
        return None
    mapping = BloomVerb.objects.as_mapping() if mapping is None else mapping
    mapped = mapping.get(verb.strip().lower())
    if mapped is None:
        raise UnmappedVerbError(verb.strip())
    return mapped


@transaction.atomic
def objective_update(
    *,
    objective: Objective,
    user: User | None = None,
    verb: str | None = None,
    text: str | None = None,
    bloom_level: BloomLevel | None = None,
    bloom_level_overridden: bool | None = None,
) -> Objective:
    """Change an objective's wording or level; the level follows the (new) verb unless the
    change overrides it. Only the fields given change; an unmapped verb is refused."""
    if verb is not None:
        objective.verb = verb.strip()
    if text is not None:
        objective.text = text.replace("\r\n", "\n").strip()
    if bloom_level_overridden is not None:
        objective.bloom_level_overridden = bloom_level_overridden
    chosen = bloom_level if bloom_level is not None else objective.bloom_level
    objective.bloom_level = objective_bloom_level(
        verb=objective.verb, kind=objective.kind, level=chosen, overridden=objective.bloom_level_overridden
    )
    objective.full_clean(validate_unique=False, validate_constraints=False)
    if user is not None:
        objective._history_user = user
    objective.save(update_fields=["verb", "text", "bloom_level", "bloom_level_overridden"])
    return objective


@transaction.atomic
def bloom_verb_save(*, bloom_verb: BloomVerb) -> int:
    """Save a verb → level mapping and move the objectives that follow that verb (all but the
    overridden ones) to its level. Returns how many objectives moved."""
    bloom_verb.full_clean()
    bloom_verb.save()
    moved = 0
    objectives = Objective.objects.filter(
        kind=Objective.Kind.OUTCOME, bloom_level_overridden=False, verb__iexact=bloom_verb.verb
    ).exclude(bloom_level=bloom_verb.level)
    for objective in objectives:
        objective.bloom_level = bloom_verb.level
        objective._change_reason = f"The Bloom verb mapping now maps “{bloom_verb.verb}” to {bloom_verb.level.name}"
        objective.save(update_fields=["bloom_level"])
        moved += 1
    return moved


@dataclass
class Conflict:
    """A field both an admin and the file changed since the last import, differently."""

    record: str
    label: str
    field: str
    line: int | None
    source: str
    admin_value: str
    file_value: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return (
            f"{self.label}, {self.field.replace('_', ' ')} ({where}): the admin's “{_short(self.admin_value)}” "
            f"≠ the file's “{_short(self.file_value)}”"
        )


def _short(value: str, limit: int = 160) -> str:
    value = " ".join(value.split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


@dataclass
class ImportReport:
    course: Course
    created: bool
    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # "Week 3, objective 1 (text, verb)": admin edits left alone
    conflicts: list[Conflict] = field(default_factory=list)
    took_file: list[Conflict] = field(default_factory=list)  # conflicts settled by --take-file

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def load_overlay(path: Path) -> dict[str, Any]:
    """Read the default labs and capstone due weeks that sit on top of the document."""
    with open(path, encoding="utf-8") as handle:
        overlay = json.load(handle)
    if not isinstance(overlay.get("labs", {}), dict) or not isinstance(overlay.get("capstone_due_weeks", {}), dict):
        raise ValueError(f"{path}: expected objects under “labs” and “capstone_due_weeks”")
    return overlay


class _Merger:
    """Brings records in line with the file by a three-way merge per field, saving only real
    changes (re-importing the same file writes nothing, not even history rows).

    For each field: base = what the last import wrote (ImportBaseline), current = the
    database, theirs = the file. The file's value is applied only where the file changed
    since the last import and nobody else did; a field only an admin changed is kept; a
    field both changed differently is a conflict, left as the admin made it (or, with
    `take_file`, given the file's value). A record without a base (imported before bases
    were kept, and with no import in its history) counts its current values as the base.
    """

    def __init__(self, *, reason: str, source: str, take_file: bool, baselines: dict[str, dict[str, Any]]):
        self.reason = reason
        self.source = source
        self.take_file = take_file
        self.baselines = baselines
        self.new_baselines: dict[str, dict[str, Any]] = {}
        self.changes: list[str] = []
        self.kept: list[str] = []
        self.conflicts: list[Conflict] = []
        self.took_file: list[Conflict] = []

    def imported_before(self, record: str) -> bool:
        return record in self.baselines

    def merge(
        self,
        instance: models.Model | None,
        model: type[models.Model],
        *,
        record: str,
        identity: dict[str, Any],
        values: dict[str, Any],
        label: str,
        lines: dict[str, int | None] | None = None,
        show_values: tuple[str, ...] = (),
    ):
        """`identity` is set only on creation; `values` are merged. `lines` gives the file's
        line of each field for conflict reports; `show_values` names fields whose change is
        reported with the old and new value."""
        lines = lines or {}
        if instance is None:
            instance = model(**identity, **values)
            self._save(instance, label)
            self.changes.append(f"{label}: created")
            self.new_baselines[record] = dict(values)
            return instance
        base = self.baselines.get(record, {})
        new_base = dict(base)
        write: dict[str, Any] = {}
        kept: list[str] = []
        for name, theirs in values.items():
            current = getattr(instance, name)
            base_value = base.get(name, current)
            if theirs == base_value:
                if current != theirs:
                    kept.append(name)
            elif current in (base_value, theirs):
                if current != theirs:
                    write[name] = theirs
            else:
                conflict = Conflict(
                    record=record,
                    label=label,
                    field=name,
                    line=lines.get(name),
                    source=self.source,
                    admin_value=str(current),
                    file_value=str(theirs),
                )
                if not self.take_file:
                    # The base stays as it was, so the next import finds the conflict again
                    # until someone settles it.
                    self.conflicts.append(conflict)
                    continue
                self.took_file.append(conflict)
                write[name] = theirs
            new_base[name] = theirs
        if new_base != base:
            self.new_baselines[record] = new_base
        if kept:
            self.kept.append(f"{label} ({', '.join(sorted(_field_label(name) for name in kept))})")
        if write:
            shown_names = [name for name in show_values if name in write]
            shown = [f"{name} changed: “{getattr(instance, name)}” → “{write[name]}”" for name in shown_names]
            for name, value in write.items():
                setattr(instance, name, value)
            self._save(instance, label, update_fields=list(write))
            self.changes += [f"{label}: {change}" for change in shown]
            rest = [_field_label(name) for name in write if name not in show_values]
            if rest:
                self.changes.append(f"{label}: {', '.join(rest)} changed")
        return instance

    def keep_deleted(self, record: str, label: str) -> None:
        """An admin deleted a record the last import wrote: the import leaves it deleted."""
        self.kept.append(f"{label} (deleted)")

    def update(self, instance: models.Model, values: dict[str, Any], label: str) -> None:
        """Fields the import derives rather than reads from the file (an objective's level)."""
        changed = [name for name, value in values.items() if getattr(instance, name) != value]
        if changed:
            for name in changed:
                setattr(instance, name, values[name])
            self._save(instance, label, update_fields=changed)
            self.changes.append(f"{label}: {', '.join(_field_label(name) for name in changed)} changed")

    def delete(self, instance: models.Model, record: str, label: str) -> None:
        try:
            instance.delete()
        except ProtectedError as exc:
            raise CurriculumImportError(_still_used(label, exc.protected_objects)) from exc
        except RestrictedError as exc:
            raise CurriculumImportError(_still_used(label, exc.restricted_objects)) from exc
        self.changes.append(f"{label}: removed")
        self.new_baselines[record] = {}

    def _save(self, instance: models.Model, label: str, update_fields: list[str] | None = None) -> None:
        try:
            instance.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            raise CurriculumImportError(f"{label}: {' '.join(exc.messages)}") from exc
        instance._change_reason = self.reason
        instance.save(update_fields=update_fields)


def _field_label(name: str) -> str:
    return name.removesuffix("_id").replace("_", " ")


def _still_used(label: str, users) -> str:
    """“Week 24 cannot be removed: 2 weekly works, 1 extension still refer to it …”"""
    counts = Counter(user._meta for user in users)
    named = ", ".join(
        f"{count} {meta.verbose_name if count == 1 else meta.verbose_name_plural}"
        for meta, count in sorted(counts.items(), key=lambda item: item[0].label)
    )
    return (
        f"{label} cannot be removed: {named or 'other records'} still refer to it "
        "(an import never deletes student work, extensions or the weeks they belong to)"
    )


def _slug_for(title: str) -> str:
    return slugify(title)[:80] or "course"


def _course_to_update(*, course_slug: str | None, title: str, new_course: bool) -> Course | None:
    """The newest version of the course an import applies to, or None for a new course.

    A course is identified by its slug, never re-derived from a title the customer may
    edit: `course_slug` when given (the course then takes the file's title); otherwise the
    course whose slug the title gives. A title that matches no course is never guessed at,
    even with a single course in the database (it may be another course's document, and
    overwriting would reschedule every cohort on other content): the person importing says
    which they mean, `--course SLUG` to retitle that course or `--new-course` to add one.
    """
    slugs = list(Course.objects.order_by("slug").values_list("slug", flat=True).distinct())
    if course_slug is not None and new_course:
        raise CurriculumImportError("choose either --course SLUG (update that course) or --new-course, not both")
    if course_slug is not None:
        if course_slug not in slugs:
            known = f"the courses are: {', '.join(slugs)}" if slugs else "the database holds no course yet"
            raise CurriculumImportError(f"there is no course “{course_slug}” to update ({known})")
        slug = course_slug
    elif _slug_for(title) in slugs:
        if new_course:
            raise CurriculumImportError(f"a course “{_slug_for(title)}” exists already; import without --new-course")
        slug = _slug_for(title)
    elif not slugs or new_course:
        return None
    else:
        raise CurriculumImportError(
            f"the file's title “{title}” matches none of the courses ({', '.join(slugs)}); "
            "to give a course this title run again with --course SLUG, "
            "to add the file as another course with --new-course"
        )
    return Course.objects.filter(slug=slug).order_by("-version").first()


@transaction.atomic
def curriculum_import(
    *,
    text: str,
    source_name: str,
    overlay: dict[str, Any] | None = None,
    overlay_name: str = "the overlay",
    as_new_version: bool = False,
    course_slug: str | None = None,
    new_course: bool = False,
    take_file: bool = False,
) -> ImportReport:
    """Import a curriculum document: create the course or merge the file's changes into it.

    A re-import is a three-way merge per field against what the previous import wrote
    (see `_Merger`): the file's changes are applied, admins' edits are kept, and a field
    both changed is reported as a conflict and left as the admin made it unless
    `take_file`. Open conflicts are stored (ImportConflict) for an admin to settle.
    Idempotent: the same text imports to no changes. Runs in one transaction, so a
    failure leaves the database as it was. Labs and capstone due weeks come from the
    overlay: a lab is created where a week has none, and merged like the document's
    records afterwards. An import in place never changes the number of weeks: cohorts on
    that version are scheduled by them, so such a file has to become a new version.
    """
    parsed = parse_curriculum(text)
    overlay = overlay or {}
    latest = _course_to_update(course_slug=course_slug, title=parsed.title, new_course=new_course)
    created = latest is None or as_new_version
    slug = _slug_for(parsed.title) if latest is None else latest.slug
    version = 1 if latest is None else latest.version + (1 if as_new_version else 0)
    if not created:
        _check_same_weeks(latest, parsed)
    baselines = {} if created else dict(ImportBaseline.objects.filter(course=latest).values_list("record", "values"))
    merger = _Merger(
        reason=f"{IMPORT_REASON_PREFIX}{source_name}", source=source_name, take_file=take_file, baselines=baselines
    )
    course = merger.merge(
        None if created else latest,
        Course,
        record="course",
        identity={"slug": slug, "version": version},
        values={"title": parsed.title, "introduction": parsed.introduction},
        label=f"Course “{slug}” v{version}",
        lines={"title": parsed.title_line, "introduction": (parsed.introduction_lines or [None])[0]},
        show_values=("title",),
    )
    notes: list[str] = []
    weeks = _apply_weeks(course, parsed, merger, notes)
    _apply_projects(course, parsed, weeks, overlay, merger)
    overlay_merger = _Merger(reason=merger.reason, source=overlay_name, take_file=take_file, baselines=merger.baselines)
    notes += _apply_labs(weeks, parsed, overlay, overlay_merger)
    for name in ("changes", "kept", "conflicts", "took_file"):
        getattr(merger, name).extend(getattr(overlay_merger, name))
    merger.new_baselines.update(overlay_merger.new_baselines)

    _save_baselines(course, merger.new_baselines)
    _record_conflicts(course, merger.conflicts, merger.took_file, source_name)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if merger.changes or course.source_sha256 != digest:
        course.source_name = source_name
        course.source_sha256 = digest
        course.imported_at = timezone.now()
        course._change_reason = merger.reason
        course.save(update_fields=["source_name", "source_sha256", "imported_at"])
    return ImportReport(
        course=course,
        created=created,
        changes=merger.changes,
        notes=notes,
        kept=merger.kept,
        conflicts=merger.conflicts,
        took_file=merger.took_file,
    )


def _save_baselines(course: Course, baselines: dict[str, dict[str, Any]]) -> None:
    gone = [record for record, values in baselines.items() if not values]
    if gone:
        ImportBaseline.objects.filter(course=course, record__in=gone).delete()
    rows = [ImportBaseline(course=course, record=key, values=values) for key, values in baselines.items() if values]
    if rows:
        ImportBaseline.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["course", "record"], update_fields=["values"]
        )


def _record_conflicts(course: Course, conflicts: list[Conflict], took_file: list[Conflict], source: str) -> None:
    """Keep one open ImportConflict per conflicting field, up to date with the latest import;
    one no longer found is closed (settled by --take-file, or the values have since agreed)."""
    now = timezone.now()
    open_rows = {(row.record, row.field): row for row in ImportConflict.objects.filter(course=course).open()}
    for conflict in conflicts:
        values = {
            "label": conflict.label,
            "line": conflict.line,
            "source_name": conflict.source,
            "admin_value": conflict.admin_value,
            "file_value": conflict.file_value,
        }
        row = open_rows.pop((conflict.record, conflict.field), None)
        if row is None:
            row = ImportConflict(course=course, record=conflict.record, field=conflict.field, detected_at=now, **values)
            row._change_reason = f"{IMPORT_REASON_PREFIX}{conflict.source}"
            row.save()
        elif any(getattr(row, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(row, name, value)
            row._change_reason = f"{IMPORT_REASON_PREFIX}{conflict.source}"
            row.save(update_fields=list(values))
    taken = {(conflict.record, conflict.field) for conflict in took_file}
    for key, row in open_rows.items():
        row.resolution = ImportConflict.Resolution.TOOK_FILE if key in taken else ImportConflict.Resolution.GONE
        row.resolved_at = now
        row._change_reason = f"{IMPORT_REASON_PREFIX}{source}: settled"
        row.save(update_fields=["resolution", "resolved_at"])


def _check_same_weeks(course: Course, parsed: ParsedCourse) -> None:
    """An import in place keeps the course's weeks: cohorts on this version are scheduled by
    them and students' work and extensions belong to them, so adding or removing one (which
    would shift or delete what students hold) needs a new version instead."""
    numbers = list(Week.objects.for_course(course).values_list("number", flat=True))
    if numbers == [week.number for week in parsed.weeks]:
        return
    if len(numbers) != len(parsed.weeks):
        difference = f"the file has {len(parsed.weeks)} weeks but {course} has {len(numbers)}"
    else:
        difference = (
            f"{course} has weeks {', '.join(map(str, numbers))} but the file numbers its weeks 1–{len(numbers)}"
        )
    raise CurriculumImportError(
        f"{difference}; an import in place cannot change the number of weeks (cohorts on this version are "
        "scheduled by them, and students' work and extensions belong to them). "
        "Import the file as a new version with --new-version"
    )


def _apply_weeks(course: Course, parsed: ParsedCourse, merger: _Merger, notes: list[str]) -> dict[int, Week]:
    existing = {week.number: week for week in Week.objects.filter(course=course).prefetch_related("objectives")}
    mapping = BloomVerb.objects.as_mapping()
    weeks: dict[int, Week] = {}
    for parsed_week in parsed.weeks:
        label = f"Week {parsed_week.number}"
        record = f"week:{parsed_week.number}"
        previous = existing.get(parsed_week.number)
        week = merger.merge(
            previous,
            Week,
            record=record,
            identity={"course_id": course.pk, "number": parsed_week.number},
            values={"title": parsed_week.title},
            label=label,
            lines={"title": parsed_week.line},
        )
        weeks[week.number] = week
        current = {objective.order: objective for objective in previous.objectives.all()} if previous else {}
        for item in parsed_week.objectives:
            objective_label = f"{label}, objective {item.order}"
            objective_record = f"{record}/objective:{item.order}"
            objective = current.pop(item.order, None)
            if objective is None and merger.imported_before(objective_record):
                merger.keep_deleted(objective_record, objective_label)
                continue
            created = objective is None
            identity = {"week_id": week.pk, "order": item.order, "kind": item.kind}
            if created:
                identity["bloom_level"] = _import_level(item.verb, item.kind, mapping, objective_label, notes)
            objective = merger.merge(
                objective,
                Objective,
                record=objective_record,
                identity=identity,
                values={"verb": item.verb, "text": item.text},
                label=objective_label,
                lines={"verb": item.line, "text": item.line},
            )
            if not created and not objective.bloom_level_overridden:
                level = _import_level(objective.verb, objective.kind, mapping, objective_label, notes)
                merger.update(objective, {"bloom_level_id": level.pk if level else None}, objective_label)
        for order, objective in sorted(current.items()):
            _delete_unless_edited(merger, objective, f"{record}/objective:{order}", f"{label}, objective {order}")
    for number, week in sorted(existing.items()):
        if number not in weeks:
            merger.delete(week, f"week:{number}", f"Week {number}")
    return weeks


def _import_level(verb: str, kind: str, mapping: dict[str, BloomLevel], label: str, notes: list[str]):
    """The level an imported objective gets. The customer's document is imported as it is,
    so a verb the mapping lacks leaves the level empty (and says so) rather than refusing it."""
    try:
        return objective_bloom_level(verb=verb, kind=kind, level=None, overridden=False, mapping=mapping)
    except UnmappedVerbError as exc:
        notes.append(f"{label}: {exc.plain_message}; imported without a level.")
        return None


def _delete_unless_edited(merger: _Merger, instance: models.Model, record: str, label: str) -> None:
    """The file dropped a record: remove it if the import wrote it and nobody edited it since."""
    base = merger.baselines.get(record)
    if base and all(getattr(instance, name) == value for name, value in base.items()):
        merger.delete(instance, record, label)
    elif base:
        merger.kept.append(f"{label} (edited in the admin, so not removed although the file dropped it)")


def _apply_projects(
    course: Course, parsed: ParsedCourse, weeks: dict[int, Week], overlay: dict[str, Any], merger: _Merger
) -> None:
    existing = {
        project.number: project
        for project in CapstoneProject.objects.filter(course=course).prefetch_related("deliverables")
    }
    due_weeks = overlay.get("capstone_due_weeks", {})
    last_week = max(weeks)
    for parsed_project in parsed.projects:
        label = f"Capstone project {parsed_project.number}"
        record = f"project:{parsed_project.number}"
        previous = existing.pop(parsed_project.number, None)
        project = merger.merge(
            previous,
            CapstoneProject,
            record=record,
            identity={"course_id": course.pk, "number": parsed_project.number},
            values={"title": parsed_project.title, "description": parsed_project.description},
            label=label,
            lines={"title": parsed_project.line, "description": parsed_project.description_line or None},
        )
        current = {d.order: d for d in previous.deliverables.all()} if previous else {}
        due_number = min(int(due_weeks.get(str(parsed_project.number), last_week)), last_week)
        for item in parsed_project.deliverables:
            deliverable_record = f"{record}/deliverable:{item.order}"
            deliverable_label = f"{label}, deliverable {item.order}"
            deliverable = current.pop(item.order, None)
            if deliverable is None and merger.imported_before(deliverable_record):
                merger.keep_deleted(deliverable_record, deliverable_label)
                continue
            merger.merge(
                deliverable,
                CapstoneDeliverable,
                record=deliverable_record,
                # The due week comes from the overlay once; admins own it afterwards.
                identity={"project_id": project.pk, "order": item.order, "due_week_id": weeks[due_number].pk},
                values={"title": item.title},
                label=deliverable_label,
                lines={"title": item.line},
            )
        for order, deliverable in sorted(current.items()):
            _delete_unless_edited(merger, deliverable, f"{record}/deliverable:{order}", f"{label}, deliverable {order}")
    for number, project in sorted(existing.items()):
        merger.delete(project, f"project:{number}", f"Capstone project {number}")


def _lab_values(data: dict[str, Any]) -> dict[str, str]:
    return {
        "title": data["title"],
        "scenario": data["scenario"],
        "tools": "\n".join(data.get("tools", [])),
        "constraints": "\n".join(data.get("constraints", [])),
        "expected_evidence": "\n".join(data.get("expected_evidence", [])),
    }


def _apply_labs(weeks: dict[int, Week], parsed: ParsedCourse, overlay: dict[str, Any], merger: _Merger) -> list[str]:
    """A week without a lab gets the overlay's; a lab the overlay wrote is merged with it like
    the document's records. A lab an admin wrote (no base) or deleted is left alone."""
    labs = overlay.get("labs", {})
    labs_now = Lab.objects.filter(week__in=weeks.values()).prefetch_related("quality_gates")
    existing = {lab.week_id: lab for lab in labs_now}
    notes: list[str] = []
    for parsed_week in parsed.weeks:
        week = weeks[parsed_week.number]
        data = labs.get(str(week.number))
        if data is None:
            continue
        record = f"week:{week.number}/lab"
        label = f"Week {week.number}, lab"
        lab = existing.get(week.pk)
        if lab is None:
            if merger.imported_before(record):
                merger.keep_deleted(record, label)
                continue
            if data.get("week_title", week.title).strip().lower() != week.title.lower():
                notes.append(
                    f"Week {week.number}: the default lab is written for “{data['week_title']}”, not “{week.title}”; "
                    "it was not applied (write the lab in the admin)."
                )
                continue
        elif not merger.imported_before(record):
            continue
        values = _lab_values(data)
        lab = merger.merge(lab, Lab, record=record, identity={"week_id": week.pk}, values=values, label=label)
        gates = {gate.order: gate for gate in lab.quality_gates.all()}
        for order, text in enumerate(data.get("quality_gates", []), start=1):
            gate_record = f"{record}/gate:{order}"
            gate_label = f"Week {week.number}, lab quality gate {order}"
            gate = gates.pop(order, None)
            if gate is None and merger.imported_before(gate_record):
                merger.keep_deleted(gate_record, gate_label)
                continue
            merger.merge(
                gate,
                QualityGate,
                record=gate_record,
                identity={"lab_id": lab.pk, "order": order},
                values={"text": text},
                label=gate_label,
            )
        for order, gate in sorted(gates.items()):
            gate_record = f"{record}/gate:{order}"
            _delete_unless_edited(merger, gate, gate_record, f"Week {week.number}, lab quality gate {order}")
    return notes


# --- Settling import conflicts and applying the lint's fixes ---------------------------------


def _record_instance(course: Course, record: str) -> models.Model | None:
    """The record an import names "week:3/objective:1" (see curriculum_import), or None."""
    parts = [part.partition(":") for part in record.split("/")]
    head, _, number = parts[0]
    if head == "course":
        return course
    if head == "week":
        instance: models.Model | None = Week.objects.filter(course=course, number=int(number)).first()
    elif head == "project":
        instance = CapstoneProject.objects.filter(course=course, number=int(number)).first()
    else:
        return None
    for name, _, value in parts[1:]:
        if instance is None:
            return None
        if name == "objective":
            instance = Objective.objects.filter(week=instance, order=int(value)).first()
        elif name == "lab":
            instance = Lab.objects.filter(week=instance).first()
        elif name == "gate":
            instance = QualityGate.objects.filter(lab=instance, order=int(value)).first()
        elif name == "deliverable":
            instance = CapstoneDeliverable.objects.filter(project=instance, order=int(value)).first()
        else:
            return None
    return instance


@transaction.atomic
def import_conflict_settle(*, conflict: ImportConflict, take_file: bool, user: User) -> ImportConflict:
    """An admin's choice for one conflicting field: keep their value or take the file's.
    Either way the file's value becomes the merge base, so the next import of the same file
    leaves the field as chosen; taking the file's value is an edit recorded in the history."""
    conflict = ImportConflict.objects.select_for_update().select_related("course").get(pk=conflict.pk)
    if conflict.resolution:
        raise ValidationError(f"This conflict was settled already ({conflict.get_resolution_display().lower()}).")
    if take_file:
        instance = _record_instance(conflict.course, conflict.record)
        if instance is None:
            raise ValidationError(f"{conflict.label} no longer exists, so the file's value cannot be taken.")
        setattr(instance, conflict.field, conflict.file_value)
        fields = [conflict.field]
        if isinstance(instance, Objective) and conflict.field == "verb" and not instance.bloom_level_overridden:
            notes: list[str] = []
            instance.bloom_level = _import_level(
                instance.verb, instance.kind, BloomVerb.objects.as_mapping(), "", notes
            )
            fields.append("bloom_level")
        try:
            instance.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            raise ValidationError(
                f"{conflict.label}: the file's value cannot be saved: {' '.join(exc.messages)}"
            ) from exc
        instance._history_user = user
        instance._change_reason = f"Import conflict settled in the admin: took the value of {conflict.source_name}"
        instance.save(update_fields=fields)
    baseline, _ = ImportBaseline.objects.get_or_create(course=conflict.course, record=conflict.record)
    baseline.values = {**baseline.values, conflict.field: conflict.file_value}
    baseline.save(update_fields=["values"])
    conflict.resolution = ImportConflict.Resolution.TOOK_FILE if take_file else ImportConflict.Resolution.KEPT
    conflict.resolved_at = timezone.now()
    conflict.resolved_by = user
    conflict._history_user = user
    conflict._change_reason = conflict.get_resolution_display()
    conflict.save(update_fields=["resolution", "resolved_at", "resolved_by"])
    return conflict


@transaction.atomic
def course_remove_repeated_sentences(*, course: Course, user: User) -> bool:
    """Apply the curriculum lint's suggested fix to the introduction: keep each sentence once.
    An edit like any admin's, recorded with who made it (the next import keeps it)."""
    fixed = without_repeated_sentences(course.introduction)
    if fixed == course.introduction:
        return False
    course.introduction = fixed
    course.full_clean(validate_unique=False, validate_constraints=False)
    course._history_user = user
    course._change_reason = "Removed repeated sentences from the introduction (the curriculum lint's suggested fix)"
    course.save(update_fields=["introduction"])
    return True

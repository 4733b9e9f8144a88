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
from django.utils import timezone
from django.utils.text import slugify

from .history import IMPORT_REASON_PREFIX
from .models import BloomVerb, CapstoneDeliverable, CapstoneProject, Course, Lab, Objective, QualityGate, Week
from .parsing import ParsedCourse, parse_curriculum


class CurriculumImportError(Exception):
    """The document parsed, but applying it would break data that depends on it."""


@dataclass
class ImportReport:
    course: Course
    created: bool
    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

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


class _Applier:
    """Creates or updates rows so that they match parsed values, saving only real changes
    (re-importing the same file must write nothing, not even history rows)."""

    def __init__(self, reason: str):
        self.reason = reason
        self.changes: list[str] = []

    def upsert(
        self,
        instance: models.Model | None,
        model: type[models.Model],
        values: dict[str, Any],
        label: str,
        *,
        show_values: tuple[str, ...] = (),
    ):
        """`show_values` names fields whose change is reported with the old and new value."""
        if instance is None:
            instance = model(**values)
            self._save(instance, label)
            self.changes.append(f"{label}: created")
            return instance
        changed = [name for name, value in values.items() if getattr(instance, name) != value]
        if changed:
            shown = [
                f"{name} changed: “{getattr(instance, name)}” → “{values[name]}”"
                for name in show_values
                if name in changed
            ]
            for name in changed:
                setattr(instance, name, values[name])
            self._save(instance, label, update_fields=changed)
            self.changes += [f"{label}: {change}" for change in shown]
            rest = [name.removesuffix("_id").replace("_", " ") for name in changed if name not in show_values]
            if rest:
                self.changes.append(f"{label}: {', '.join(rest)} changed")
        return instance

    def delete(self, instance: models.Model, label: str) -> None:
        try:
            instance.delete()
        except ProtectedError as exc:
            raise CurriculumImportError(_still_used(label, exc.protected_objects)) from exc
        except RestrictedError as exc:
            raise CurriculumImportError(_still_used(label, exc.restricted_objects)) from exc
        self.changes.append(f"{label}: removed")

    def _save(self, instance: models.Model, label: str, update_fields: list[str] | None = None) -> None:
        try:
            instance.full_clean(validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            raise CurriculumImportError(f"{label}: {' '.join(exc.messages)}") from exc
        instance._change_reason = self.reason
        instance.save(update_fields=update_fields)


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
    as_new_version: bool = False,
    course_slug: str | None = None,
    new_course: bool = False,
) -> ImportReport:
    """Import a curriculum document: create the course or bring it up to date with the file.

    Idempotent: the same text imports to no changes. Runs in one transaction, so a
    failure leaves the database as it was. Labs and capstone due weeks from the overlay
    are applied only where none exist yet, because admins own them after the first import.
    An import in place never changes the number of weeks: cohorts on that version are
    scheduled by them, so such a file has to become a new version.
    """
    parsed = parse_curriculum(text)
    overlay = overlay or {}
    applier = _Applier(reason=f"{IMPORT_REASON_PREFIX}{source_name}")
    latest = _course_to_update(course_slug=course_slug, title=parsed.title, new_course=new_course)
    created = latest is None or as_new_version
    slug = _slug_for(parsed.title) if latest is None else latest.slug
    version = 1 if latest is None else latest.version + (1 if as_new_version else 0)
    if not created:
        _check_same_weeks(latest, parsed)
    course = applier.upsert(
        None if created else latest,
        Course,
        {"slug": slug, "version": version, "title": parsed.title, "introduction": parsed.introduction},
        f"Course “{slug}” v{version}",
        show_values=("title",),
    )
    weeks = _apply_weeks(course, parsed, applier)
    _apply_projects(course, parsed, weeks, overlay, applier)
    notes = _apply_labs(weeks, parsed, overlay, applier)

    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if applier.changes or course.source_sha256 != digest:
        course.source_name = source_name
        course.source_sha256 = digest
        course.imported_at = timezone.now()
        course._change_reason = applier.reason
        course.save(update_fields=["source_name", "source_sha256", "imported_at"])
    return ImportReport(course=course, created=created, changes=applier.changes, notes=notes)


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


def _apply_weeks(course: Course, parsed: ParsedCourse, applier: _Applier) -> dict[int, Week]:
    existing = {week.number: week for week in Week.objects.filter(course=course).prefetch_related("objectives")}
    verb_levels = {verb: level.pk for verb, level in BloomVerb.objects.as_mapping().items()}
    weeks: dict[int, Week] = {}
    for parsed_week in parsed.weeks:
        label = f"Week {parsed_week.number}"
        previous = existing.get(parsed_week.number)
        week = applier.upsert(
            previous, Week, {"course_id": course.pk, "number": parsed_week.number, "title": parsed_week.title}, label
        )
        weeks[week.number] = week
        current = {objective.order: objective for objective in previous.objectives.all()} if previous else {}
        for item in parsed_week.objectives:
            level_id = verb_levels.get(item.verb.lower()) if item.kind == Objective.Kind.OUTCOME else None
            applier.upsert(
                current.pop(item.order, None),
                Objective,
                {
                    "week_id": week.pk,
                    "order": item.order,
                    "kind": item.kind,
                    "verb": item.verb,
                    "text": item.text,
                    "bloom_level_id": level_id,
                },
                f"{label}, objective {item.order}",
            )
        for order, objective in sorted(current.items()):
            applier.delete(objective, f"{label}, objective {order}")
    for number, week in sorted(existing.items()):
        if number not in weeks:
            applier.delete(week, f"Week {number}")
    return weeks


def _apply_projects(
    course: Course, parsed: ParsedCourse, weeks: dict[int, Week], overlay: dict[str, Any], applier: _Applier
) -> None:
    existing = {
        project.number: project
        for project in CapstoneProject.objects.filter(course=course).prefetch_related("deliverables")
    }
    due_weeks = overlay.get("capstone_due_weeks", {})
    last_week = max(weeks)
    for parsed_project in parsed.projects:
        label = f"Capstone project {parsed_project.number}"
        previous = existing.pop(parsed_project.number, None)
        project = applier.upsert(
            previous,
            CapstoneProject,
            {
                "course_id": course.pk,
                "number": parsed_project.number,
                "title": parsed_project.title,
                "description": parsed_project.description,
            },
            label,
        )
        current = {d.order: d for d in previous.deliverables.all()} if previous else {}
        due_number = min(int(due_weeks.get(str(parsed_project.number), last_week)), last_week)
        for item in parsed_project.deliverables:
            deliverable = current.pop(item.order, None)
            values = {"project_id": project.pk, "order": item.order, "title": item.title}
            if deliverable is None:
                values["due_week_id"] = weeks[due_number].pk
            applier.upsert(deliverable, CapstoneDeliverable, values, f"{label}, deliverable {item.order}")
        for order, deliverable in sorted(current.items()):
            applier.delete(deliverable, f"{label}, deliverable {order}")
    for number, project in sorted(existing.items()):
        applier.delete(project, f"Capstone project {number}")


def _apply_labs(weeks: dict[int, Week], parsed: ParsedCourse, overlay: dict[str, Any], applier: _Applier) -> list[str]:
    labs = overlay.get("labs", {})
    has_lab = set(Lab.objects.filter(week__in=weeks.values()).values_list("week_id", flat=True))
    notes: list[str] = []
    for parsed_week in parsed.weeks:
        week = weeks[parsed_week.number]
        data = labs.get(str(week.number))
        if week.pk in has_lab or data is None:
            continue
        if data.get("week_title", week.title).strip().lower() != week.title.lower():
            notes.append(
                f"Week {week.number}: the default lab is written for “{data['week_title']}”, not “{week.title}”; "
                "it was not applied (write the lab in the admin)."
            )
            continue
        lab = applier.upsert(
            None,
            Lab,
            {
                "week_id": week.pk,
                "title": data["title"],
                "scenario": data["scenario"],
                "tools": "\n".join(data.get("tools", [])),
                "constraints": "\n".join(data.get("constraints", [])),
                "expected_evidence": "\n".join(data.get("expected_evidence", [])),
            },
            f"Week {week.number}, lab",
        )
        for order, gate in enumerate(data.get("quality_gates", []), start=1):
            applier.upsert(
                None,
                QualityGate,
                {"lab_id": lab.pk, "order": order, "text": gate},
                f"Week {week.number}, lab quality gate {order}",
            )
    return notes

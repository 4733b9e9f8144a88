import factory
from django.utils import timezone

from curriculum.bloom import LEVELS
from curriculum.models import (
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

__all__ = [
    "BloomLevelFactory",
    "CourseFactory",
    "WeekFactory",
    "ObjectiveFactory",
    "LabFactory",
    "QualityGateFactory",
    "CapstoneProjectFactory",
    "CapstoneDeliverableFactory",
    "BloomVerbFactory",
    "ImportBaselineFactory",
    "ImportConflictFactory",
    "bloom_level",
]


def bloom_level(key: str) -> BloomLevel:
    return BloomLevel.objects.get(key=key)


_TAXONOMY = {key: (rank, name, description) for rank, key, name, description in LEVELS}


class BloomLevelFactory(factory.django.DjangoModelFactory):
    """One of the six fixed levels of the revised taxonomy (curriculum.bloom.LEVELS): the
    row the data migration installed, or a new one with the taxonomy's rank and name when a
    test flushed it. There are no other levels to make."""

    class Meta:
        model = BloomLevel
        django_get_or_create = ["key"]

    key = factory.Iterator(list(_TAXONOMY))
    rank = factory.LazyAttribute(lambda o: _TAXONOMY[o.key][0])
    name = factory.LazyAttribute(lambda o: _TAXONOMY[o.key][1])
    description = factory.LazyAttribute(lambda o: _TAXONOMY[o.key][2])


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    slug = factory.Sequence(lambda n: f"course-{n}")
    version = 1
    title = factory.Sequence(lambda n: f"Course {n}")
    introduction = "An introduction."


class WeekFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Week

    course = factory.SubFactory(CourseFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Topic {n}")


class ObjectiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Objective

    week = factory.SubFactory(WeekFactory)
    order = factory.Sequence(lambda n: n + 1)
    kind = Objective.Kind.OUTCOME
    verb = "Analyze"
    text = factory.LazyAttribute(lambda o: f"{o.verb} the principles of {o.week.title}.")
    bloom_level = factory.LazyFunction(lambda: bloom_level("analyze"))


class LabFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lab

    week = factory.SubFactory(WeekFactory)
    title = "Measure the request path"
    scenario = "A checkout service misses its latency target."
    tools = "k6\nPostgreSQL"
    constraints = "No downtime"
    expected_evidence = "Load-test report"


class QualityGateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QualityGate

    lab = factory.SubFactory(LabFactory)
    order = factory.Sequence(lambda n: n + 1)
    text = "p95 under 50 ms at 200 requests/s"


class CapstoneProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CapstoneProject

    course = factory.SubFactory(CourseFactory)
    number = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Capstone {n}")
    description = "Build it."


class CapstoneDeliverableFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CapstoneDeliverable

    project = factory.SubFactory(CapstoneProjectFactory)
    order = factory.Sequence(lambda n: n + 1)
    title = "Decision memo"
    due_week = factory.SubFactory(WeekFactory, course=factory.SelfAttribute("..project.course"))


class BloomVerbFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BloomVerb
        django_get_or_create = ["verb"]

    verb = factory.Sequence(lambda n: f"verb{n}")
    level = factory.LazyFunction(lambda: bloom_level("apply"))


class ImportBaselineFactory(factory.django.DjangoModelFactory):
    """What an import wrote into one record (written by the importer in the product)."""

    class Meta:
        model = ImportBaseline

    course = factory.SubFactory(CourseFactory)
    record = factory.Sequence(lambda n: f"week:{n + 1}")
    values = factory.LazyAttribute(lambda o: {"title": f"Week title {o.record}"})


class ImportConflictFactory(factory.django.DjangoModelFactory):
    """An open conflict between an admin's edit and the file (recorded by the importer)."""

    class Meta:
        model = ImportConflict

    course = factory.SubFactory(CourseFactory)
    record = factory.Sequence(lambda n: f"week:{n + 1}/objective:1")
    field = "text"
    label = factory.LazyAttribute(lambda o: o.record.replace("week:", "Week ").replace("/objective:", ", objective "))
    line = 25
    source_name = "customer-v2.txt"
    admin_value = "Explain how REST conventions shape an API."
    file_value = "Analyze the principles of REST."
    detected_at = factory.LazyFunction(timezone.now)

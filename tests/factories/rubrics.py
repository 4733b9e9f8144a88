import factory

from rubrics.models import Criterion, Level, Rubric

__all__ = ["RubricFactory", "CriterionFactory", "LevelFactory", "rubric_with_levels"]


class RubricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Rubric

    family = factory.Sequence(lambda n: f"rubric-{n}")
    version = 1
    title = factory.Sequence(lambda n: f"Rubric {n}")


class CriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Criterion

    rubric = factory.SubFactory(RubricFactory)
    order = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Criterion {n}")
    weight = 1


class LevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Level

    criterion = factory.SubFactory(CriterionFactory)
    order = factory.Sequence(lambda n: n + 1)
    label = factory.Sequence(lambda n: f"Level {n}")
    points = factory.Sequence(lambda n: n + 1)
    descriptor = "What work at this level looks like."


def rubric_with_levels(criteria: int = 2, weights: tuple[int, ...] | None = None, **kwargs) -> Rubric:
    """A rubric whose criteria each have levels worth 1 to 4 points."""
    rubric = RubricFactory(**kwargs)
    for index in range(criteria):
        criterion = CriterionFactory(rubric=rubric, order=index + 1, weight=(weights or (1,) * criteria)[index])
        for points in (4, 3, 2, 1):
            LevelFactory(criterion=criterion, order=5 - points, points=points, label=f"L{points}")
    return rubric

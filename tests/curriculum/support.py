"""Helpers the curriculum tests share: the admin forms as a browser posts them."""

from curriculum.models import Week


def week_change_data(week: Week) -> dict:
    objectives = list(week.objectives.order_by("order"))
    lab = week.lab
    data = {
        "course": week.course_id,
        "number": week.number,
        "title": week.title,
        "progression_note": "",
        "objectives-TOTAL_FORMS": len(objectives),
        "objectives-INITIAL_FORMS": len(objectives),
        "objectives-MIN_NUM_FORMS": 0,
        "objectives-MAX_NUM_FORMS": 1000,
        "lab-TOTAL_FORMS": 1,
        "lab-INITIAL_FORMS": 1,
        "lab-MIN_NUM_FORMS": 0,
        "lab-MAX_NUM_FORMS": 1,
        "lab-0-id": lab.pk,
        "lab-0-week": week.pk,
        "lab-0-title": lab.title,
        "lab-0-scenario": lab.scenario,
        "lab-0-tools": lab.tools,
        "lab-0-constraints": lab.constraints,
        "lab-0-expected_evidence": lab.expected_evidence,
    }
    for index, objective in enumerate(objectives):
        data.update(
            {
                f"objectives-{index}-id": objective.pk,
                f"objectives-{index}-week": week.pk,
                f"objectives-{index}-order": objective.order,
                f"objectives-{index}-kind": objective.kind,
                f"objectives-{index}-verb": objective.verb,
                f"objectives-{index}-text": objective.text,
                f"objectives-{index}-bloom_level": objective.bloom_level_id or "",
            }
        )
        if objective.bloom_level_overridden:  # a browser sends a ticked box only
            data[f"objectives-{index}-bloom_level_overridden"] = "on"
    return data


def objective_index(week: Week, order: int) -> int:
    """The position of objective `order` among the week form's objective rows."""
    return list(week.objectives.order_by("order").values_list("order", flat=True)).index(order)

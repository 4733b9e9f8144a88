"""Deep linking: the weeks and capstone deliverables an instructor may add to the LMS course,
and the signed LtiDeepLinkingResponse that adds them. Each item is a resource link to our
launch URL carrying its target as a custom parameter (`week` = number, `deliverable` = id), so
the first launch of the link the LMS creates knows what it opens (lti.services.
resource_link_record); each is gradable, so it carries a lineItem the LMS creates with it."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from pylti1p3.deep_link import DeepLink
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.lineitem import LineItem

from curriculum.models import CapstoneDeliverable, Course, Week
from curriculum.selectors import course_week_list

from .claims import Launch
from .services import platform_and_deployment
from .toolconf import registration_for

# Scores go to the LMS as a percentage of the rubric's maximum (grade passback, docs/integrations.md).
SCORE_MAXIMUM = 100
LINE_ITEM_TAG = "courseplatform"


@dataclass
class Choices:
    weeks: list[Week]
    deliverables: list[CapstoneDeliverable]

    def as_choices(self) -> list[tuple[str, str]]:
        return [(f"week-{w.number}", f"Week {w.number}: {w.title}") for w in self.weeks] + [
            (f"deliverable-{d.pk}", f"Capstone {d.project.number}: {d.title}") for d in self.deliverables
        ]

    def title_of(self, key: str) -> str:
        return dict(self.as_choices())[key]


def choices_for(course: Course) -> Choices:
    deliverables = list(
        CapstoneDeliverable.objects.filter(project__course=course)
        .select_related("project")
        .order_by("project__number", "order")
    )
    return Choices(weeks=course_week_list(course), deliverables=deliverables)


def response_for(request: HttpRequest, *, launch: Launch, course: Course, picked: list[str]) -> tuple[str, str]:
    """The signed response JWT and the platform's return URL."""
    choices = choices_for(course)
    target = request.build_absolute_uri(reverse("lti:launch"))
    resources = []
    for key in picked:
        kind, _, ident = key.partition("-")
        title = choices.title_of(key)
        custom = {"week": ident} if kind == "week" else {"deliverable": ident}
        line_item = (
            LineItem().set_label(title).set_score_maximum(SCORE_MAXIMUM).set_resource_id(key).set_tag(LINE_ITEM_TAG)
        )
        resources.append(
            DeepLinkResource().set_url(target).set_title(title).set_custom_params(custom).set_lineitem(line_item)
        )
    platform, _ = platform_and_deployment(launch)
    deep_link = DeepLink(registration_for(platform), launch.deployment_id, launch.deep_linking_settings)
    return deep_link.get_response_jwt(resources), launch.deep_linking_settings["deep_link_return_url"]


def allow_form_action(response: HttpResponse, return_url: str) -> None:
    """The response form posts to the platform: the CSP's form-action must allow its origin
    (merged into the policy by the CSP middleware)."""
    parts = urlsplit(return_url)
    response._csp_update = {"form-action": [f"{parts.scheme}://{parts.netloc}"]}

"""What the LTI tests share: the test LMS's people, courses and links, a browser on the
tool's HTTPS origin, a launch stopped before its POST. The fixtures that start the LMS and
register it at the tool are in conftest.py."""

from __future__ import annotations

from django.test import Client

from .harness import INSTRUCTOR, LEARNER, TA, _get_no_redirect, _tool_request, parse_form, person

TOOL = "https://testserver"
USERS = {
    "ina": person("Ina Instructor", "ina@uni.example"),
    "lea": person("Lea Learner", "lea@uni.example"),
    "leo": person("Leo Learner", "leo@uni.example"),
    "tam": person("Tam Assistant", "tam@uni.example"),
    "obs": person("Oli Observer", "oli@uni.example"),
    "sam": person("Sam Existing", "sam@uni.example"),
}
MEMBERS = {
    "ina": [INSTRUCTOR],
    "lea": [LEARNER],
    "leo": [LEARNER],
    "tam": [TA],
    "obs": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Observer"],
    "sam": [LEARNER],
}
LINKS = [
    {"id": "rl-week-3", "context": "course-1", "title": "Week 3", "custom": {"week": "3"}},
    {"id": "rl-plain", "context": "course-1", "title": "The course"},
    {"id": "rl-week-3-b", "context": "course-2", "title": "Week 3", "custom": {"week": "3"}},
]


class HttpsClient(Client):
    """A browser on the tool's HTTPS origin (cookies marked Secure come back)."""

    def generic(self, *args, **kwargs):
        kwargs["secure"] = True
        return super().generic(*args, **kwargs)


def browser() -> Client:
    return HttpsClient()


def launch_form(lms, client, *, user: str, context: str = "course-1", link: str | None = "rl-week-3", deep=False):
    """The real platform's signed launch form, not yet posted: (action, fields)."""
    first = _get_no_redirect(lms.launch_url(user=user, context=context, link=link, deep_link=deep))
    answer = _tool_request(client, "get", first.headers["Location"])
    assert answer.status_code == 302, answer.content[:300]
    page = _get_no_redirect(answer["Location"])
    assert page.status == 200, page.body[:300]
    return parse_form(page.body)


def post_launch(client, action, fields):
    return _tool_request(client, "post", action, fields)

import pytest
from django.urls import reverse

from curriculum.models import Objective

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ["anonymous", "student", "mentor", "instructor", "admin", "stranger"])
def test_course_overview_shows_all_weeks_objectives_badges_and_capstones_to_everyone(role, people, client_for):
    user = None if role == "anonymous" else getattr(people, role)
    response = client_for(user).get(reverse("curriculum:home"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Backend Engineering: Scalable Architectures</h1>" in html
    assert html.count('class="week-card"') == 24
    # Each week folds to its title, its four outcomes' badges and its lab; opened, the
    # objectives with their badges again.
    assert html.count("<details>") == 24 and "<details open" not in html
    assert html.count('class="badge bloom bloom-') == 96 * 2
    assert html.count('class="week-summary-lab"') == 24
    assert "Week 24</span> Capstone Review, Operations Readiness, and Technical Defense" in html
    assert "Project 3: Backend Architecture Defense and Handover" in html
    assert "Roadmap with prioritized improvements" in html


def test_course_overview_jumps_to_phases_and_capstones(course, client):
    html = client.get(reverse("curriculum:home")).content.decode()
    jump_list = html[html.index('<nav class="jump-list"') : html.index("</nav>", html.index('<nav class="jump-list"'))]
    for number in (1, 2, 3):
        assert f'href="#phase-{number}"' in jump_list and f'id="phase-{number}"' in html
        assert f'href="#project-{number}"' in jump_list and f'id="project-{number}"' in html
    assert "Phase 2 · weeks 9–16" in jump_list
    week_3 = course.weeks.get(number=3)
    assert f'<span class="muted">Lab:</span> {week_3.lab.title}' in html


def test_course_overview_runs_a_fixed_number_of_queries(course, client, django_assert_num_queries):
    # course, weeks (+ labs joined), objectives (+ Bloom levels joined), capstone projects,
    # deliverables (+ due weeks joined)
    with django_assert_num_queries(5):
        assert client.get(reverse("curriculum:home")).status_code == 200


def test_week_page_shows_objectives_lab_gates_and_capstone_deliverables(course, client):
    response = client.get(reverse("curriculum:week", args=[course.slug, 8]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Week 8</span> Caching with Redis and HTTP Cache Strategies</h1>" in html
    lab = course.weeks.get(number=8).lab
    assert f"Lab: {lab.title}" in html
    for gate in lab.quality_gates.all():
        assert gate.text.replace("'", "&#x27;").replace('"', "&quot;") in html
    assert "Capstone deliverables due this week" in html
    assert 'rel="next"' in html and 'rel="prev"' in html


def test_last_week_has_no_next_link(course, client):
    html = client.get(reverse("curriculum:week", args=[course.slug, 24])).content.decode()
    assert 'rel="next"' not in html


def test_week_page_query_count_is_fixed(course, client, django_assert_num_queries):
    # course, week (+ course, lab), objectives, gates, deliverables, week count
    with django_assert_num_queries(6):
        client.get(reverse("curriculum:week", args=[course.slug, 3]))


def test_unknown_week_and_course_are_404(course, client):
    assert client.get(reverse("curriculum:week", args=[course.slug, 25])).status_code == 404
    assert client.get(reverse("curriculum:course", args=["no-such-course"])).status_code == 404


def test_course_text_is_escaped_and_markdown_sanitised(course, client):
    course.introduction = "Hello <script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=alert(3)>"
    course.save()
    objective = Objective.objects.filter(week__course=course).first()
    objective.text = "<b onclick=alert(4)>bold</b>"
    objective.save()
    html = client.get(reverse("curriculum:home")).content.decode()
    assert "<script>alert(1)" not in html
    assert "javascript:alert" not in html
    assert "onerror" not in html
    assert "<b onclick" not in html
    assert "&lt;b onclick=alert(4)&gt;bold&lt;/b&gt;" in html


def test_lab_lists_render_inline_markdown_and_stay_sanitised(course, client):
    week = course.weeks.get(number=1)
    html = client.get(reverse("curriculum:week", args=[course.slug, 1])).content.decode()
    assert "<code>docker compose up</code>" in html and "`docker compose up`" not in html
    lab = week.lab
    lab.constraints = "Use `make run` only\n<img src=x onerror=alert(1)> [x](javascript:alert(2))"
    lab.save()
    html = client.get(reverse("curriculum:week", args=[course.slug, 1])).content.decode()
    assert "<li>Use <code>make run</code> only</li>" in html
    assert "onerror" not in html and "javascript:alert" not in html


def test_no_course_shows_a_helpful_page(client, course):
    course.delete()
    response = client.get(reverse("curriculum:home"))
    assert response.status_code == 404
    assert "import_curriculum" in response.content.decode()

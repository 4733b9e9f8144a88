from datetime import timedelta

from django import template

from insights.selectors import duration_text

register = template.Library()


@register.filter
def duration(value: timedelta | None) -> str:
    """A turnaround as people read it ("2 d 4 h"); see insights.selectors.duration_text."""
    return duration_text(value)

from django import template

from core.markdown import render_markdown, render_markdown_inline

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text: str):
    """Render user-written markdown through the one sanitising renderer."""
    return render_markdown(text or "")


@register.filter(name="markdown_inline")
def markdown_inline_filter(text: str):
    """A single line of markdown, without its paragraph (list items of the curriculum)."""
    return render_markdown_inline(text or "")

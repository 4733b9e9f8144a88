"""`{% evidence_preview item among=items as shown %}`: what the partial
`submissions/_evidence_preview.html` needs to show one evidence item's preview.

`item` is whatever the page lists: an `Artifact`, an artifact of a revision's snapshot (a
dict with `id`, `name`, `content_type`, `kind`), or a portfolio proof (`artifact_id`, `name`,
`content_type`, `kind`). The previews of every item in `among` (the page's whole list) are read
in one query the first time the list is met during a render, and kept on the template context,
so a page with any number of evidence items costs one query per list, not one per item (none
for artifacts read with `select_related("preview")`, as the workspace's are).
"""

from dataclasses import dataclass

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString

from core.markdown import clean_highlighted
from submissions.models import Artifact, EvidencePreview
from submissions.previews import previews_for, type_label

register = template.Library()

MEMO = "_evidence_previews"


@dataclass(frozen=True)
class ShownPreview:
    name: str
    type_label: str
    state: str  # "image", "text", "pending" or "none"
    src: str = ""
    width: int = 0
    height: int = 0
    text_html: SafeString | str = ""
    text_lines: int = 0
    truncated: bool = False
    is_pdf: bool = False


def _fields(item) -> tuple[int | None, str, str, str]:
    """(artifact id, name, content type, kind) of anything a page lists as evidence."""
    if isinstance(item, dict):
        return item.get("id"), item.get("name", ""), item.get("content_type", ""), item.get("kind", "file")
    if isinstance(item, Artifact):
        return item.pk, item.label, item.content_type, item.kind
    return getattr(item, "artifact_id", None), getattr(item, "name", ""), item.content_type, item.kind


NOT_JOINED = object()


def _joined_preview(item):
    """The preview an item already carries when its artifact was read with
    select_related("preview") (the workspace) or ("artifact__preview") (the portfolio's
    proofs): the row, None for none, or NOT_JOINED when it must be read."""
    artifact = item
    if not isinstance(item, Artifact):
        descriptor = getattr(type(item), "artifact", None)
        if not hasattr(descriptor, "is_cached") or not descriptor.is_cached(item):
            return NOT_JOINED
        artifact = item.artifact
    if not Artifact.preview.is_cached(artifact):
        return NOT_JOINED
    return getattr(artifact, "preview", None)  # a missing row raises a subclass of AttributeError


def _loaded(context, among, artifact_id) -> dict[int, EvidencePreview]:
    memo = getattr(context, MEMO, None)
    if memo is None:
        memo = {}
        setattr(context, MEMO, memo)
    if artifact_id not in memo:
        for other in among or []:
            joined = _joined_preview(other)
            if joined is not NOT_JOINED:
                memo[_fields(other)[0]] = joined
    if artifact_id not in memo:
        wanted = {_fields(x)[0] for x in (among or [])} | {artifact_id}
        wanted = {i for i in wanted if i is not None and i not in memo}
        found = previews_for(wanted)
        for i in wanted:
            memo[i] = found.get(i)
    return memo


@register.simple_tag(takes_context=True)
def evidence_preview(context, item, among=None, public_slug="") -> ShownPreview | None:
    artifact_id, name, content_type, kind = _fields(item)
    if kind != Artifact.Kind.FILE or artifact_id is None:
        return None  # a link: its address is the preview
    preview = _loaded(context, among, artifact_id).get(artifact_id)
    label = type_label(content_type)
    base = {"name": name, "type_label": label, "is_pdf": content_type == "application/pdf"}
    if preview is None or preview.status in (EvidencePreview.Status.FAILED, EvidencePreview.Status.UNSUPPORTED):
        return ShownPreview(state="none", **base)
    if preview.status == EvidencePreview.Status.PENDING:
        return ShownPreview(state="pending", **base)
    if preview.kind == EvidencePreview.Kind.TEXT:
        return ShownPreview(
            state="text",
            text_html=clean_highlighted(preview.text_html),
            text_lines=preview.text_lines,
            truncated=preview.truncated,
            **base,
        )
    if public_slug:
        src = reverse("portfolios:proof_preview", kwargs={"slug": public_slug, "pk": item.pk})
    else:
        src = reverse("submissions:artifact_preview", args=[artifact_id])
    return ShownPreview(state="image", src=src, width=preview.width, height=preview.height, **base)

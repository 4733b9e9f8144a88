"""The feedback API's input and output serializers (the viewsets are in api.py). Names come
from selectors.AuthorNames: an anonymous peer is "Peer reviewer N", the student is "The
author" to a peer."""

from django.conf import settings
from rest_framework import serializers

from .models import SECTION_CHOICES, Anchor, Thread


class AnchorOutput(serializers.Serializer):
    revision_number = serializers.IntegerField(source="revision.number")
    anchor_state = serializers.ChoiceField(
        source="state", choices=Anchor.State.choices, help_text="`outdated`: the text changed."
    )
    field = serializers.CharField(help_text="The content path of the quoted markdown, e.g. `decision.rationale`.")
    quote = serializers.CharField(help_text="The quoted markdown source (the old quote when outdated).")
    prefix = serializers.CharField()
    suffix = serializers.CharField()
    start = serializers.IntegerField(allow_null=True, help_text="Offset of the quote in the field's source.")
    end = serializers.IntegerField(allow_null=True)
    current_text = serializers.CharField(help_text="When outdated: what stands there now.")


class CommentOutput(serializers.Serializer):
    id = serializers.IntegerField(source="comment.pk")
    author = serializers.CharField(source="author_shown", help_text="As you may see it; “You” for yourself.")
    body = serializers.CharField(source="comment.body", help_text="Markdown; empty when removed.")
    created_at = serializers.DateTimeField(source="comment.created_at")
    edited = serializers.BooleanField()
    removed = serializers.BooleanField()


class ThreadOutput(serializers.Serializer):
    id = serializers.IntegerField(source="thread.pk")
    work_id = serializers.IntegerField(source="thread.work_id")
    opened_on_revision = serializers.IntegerField(source="thread.revision.number")
    section = serializers.ChoiceField(source="thread.section", choices=SECTION_CHOICES)
    target = serializers.ChoiceField(source="thread.target", choices=Thread.Target.choices)
    artifact_id = serializers.IntegerField(source="thread.artifact_id", allow_null=True)
    status = serializers.ChoiceField(source="thread.status", choices=Thread.Status.choices)
    addressed_note = serializers.CharField(source="thread.addressed_note")
    addressed_in_revision = serializers.IntegerField(source="thread.addressed_in.number", allow_null=True, default=None)
    author = serializers.CharField(source="author_shown")
    anchor = AnchorOutput(allow_null=True, help_text="Where the thread points in the revision asked about.")
    comments = CommentOutput(many=True)
    can_reply = serializers.BooleanField()
    can_resolve = serializers.BooleanField(source="can_settle")
    can_mark_addressed = serializers.BooleanField()


class ThreadCreateInput(serializers.Serializer):
    section = serializers.ChoiceField(choices=SECTION_CHOICES)
    body = serializers.CharField(help_text="Markdown.")
    quote = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=5000,
        trim_whitespace=False,
        help_text="The selected text as rendered; the server finds it in the section's source.",
    )
    prefix = serializers.CharField(required=False, allow_blank=True, default="", max_length=400, trim_whitespace=False)
    suffix = serializers.CharField(required=False, allow_blank=True, default="", max_length=400, trim_whitespace=False)
    artifact_id = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1)

    def validate_body(self, value: str) -> str:
        if len(value) > settings.FEEDBACK_COMMENT_MAX_CHARS:
            raise serializers.ValidationError(
                f"A comment is at most {settings.FEEDBACK_COMMENT_MAX_CHARS} characters; this one has {len(value)}."
            )
        return value


class ReplyInput(serializers.Serializer):
    body = serializers.CharField(help_text="Markdown.")

    def validate_body(self, value: str) -> str:
        return ThreadCreateInput().validate_body(value)


class AddressedInput(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")

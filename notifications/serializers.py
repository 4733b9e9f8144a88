"""The notifications API's input and output serializers (the viewsets are in api.py)."""

from rest_framework import serializers

from .models import Kind, Notification


class NotificationOutput(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=Kind.choices)
    url = serializers.CharField(help_text="Where the notification leads (a site path); may be empty.")
    is_read = serializers.BooleanField()

    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "created_at", "read_at", "is_read"]


class MarkAllReadOutput(serializers.Serializer):
    marked = serializers.IntegerField(help_text="How many unread notifications were marked read.")


class NotificationListQuery(serializers.Serializer):
    unread = serializers.BooleanField(required=False, allow_null=True, default=None, help_text="Only unread ones.")

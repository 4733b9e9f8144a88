"""The privacy API's input and output serializers (the viewsets are in api.py)."""

from rest_framework import serializers
from rest_framework.reverse import reverse

from .models import DataExport, ErasureRequest


class ExportOutput(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=DataExport.Status.choices)
    finished = serializers.BooleanField(source="is_finished")
    download_url = serializers.SerializerMethodField(help_text="Where to fetch the zip once it is ready.")

    class Meta:
        model = DataExport
        fields = [
            "id",
            "status",
            "progress",
            "phase",
            "error",
            "finished",
            "size",
            "created_at",
            "finished_at",
            "expires_at",
            "download_url",
        ]

    def get_download_url(self, export: DataExport) -> str | None:
        if export.status != DataExport.Status.SUCCEEDED or not export.file:
            return None
        return reverse("api:v1:data-export-download", args=[export.pk], request=self.context.get("request"))


class ErasureOutput(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=ErasureRequest.Status.choices)
    confirmation = serializers.ChoiceField(choices=ErasureRequest.Confirmation.choices)
    can_be_cancelled = serializers.BooleanField()

    class Meta:
        model = ErasureRequest
        fields = ["id", "status", "confirmation", "requested_at", "due_at", "cancelled_at", "can_be_cancelled"]


class ErasureInput(serializers.Serializer):
    password = serializers.CharField(max_length=4096, trim_whitespace=False, help_text="Your password, to confirm.")

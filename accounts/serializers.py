"""The accounts API's input and output serializers (the viewsets are in api.py)."""

from django.utils import timezone
from rest_framework import serializers

from .models import PersonalAccessToken, User, validate_time_zone
from .services import TOKEN_MAX_LIFETIME_DAYS, TOKEN_PREFIX


class MeOutput(serializers.ModelSerializer):
    roles = serializers.ListField(
        child=serializers.ChoiceField(choices=["student", "mentor", "instructor"]),
        help_text="Every role the person holds in any cohort.",
    )

    class Meta:
        model = User
        fields = ["id", "email", "name", "display_name", "time_zone", "is_staff", "roles"]


class MeUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    time_zone = serializers.CharField(max_length=64, required=False, validators=[validate_time_zone])


class TokenOutput(serializers.ModelSerializer):
    display_prefix = serializers.SerializerMethodField(help_text="The start of the token, to recognise it.")
    is_active = serializers.SerializerMethodField()

    class Meta:
        model = PersonalAccessToken
        fields = [
            "id",
            "name",
            "display_prefix",
            "scope",
            "created_at",
            "expires_at",
            "last_used_at",
            "revoked_at",
            "is_active",
        ]

    def get_display_prefix(self, token) -> str:
        return f"{TOKEN_PREFIX}{token.prefix}"

    def get_is_active(self, token) -> bool:
        return token.is_usable_at(timezone.now())


class TokenCreatedOutput(TokenOutput):
    token = serializers.CharField(
        source="plaintext", help_text="The secret. Shown in this response only; store it now."
    )

    class Meta(TokenOutput.Meta):
        fields = [*TokenOutput.Meta.fields, "token"]


class TokenCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    scope = serializers.ChoiceField(choices=PersonalAccessToken.Scope.choices, default=PersonalAccessToken.Scope.READ)
    expires_in_days = serializers.IntegerField(min_value=1, max_value=TOKEN_MAX_LIFETIME_DAYS, default=30)


class TokenListQuery(serializers.Serializer):
    active = serializers.BooleanField(required=False, allow_null=True, default=None, help_text="Only usable tokens.")

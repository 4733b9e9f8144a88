"""LTI Dynamic Registration (IMS LTI-DR 1.0) through pylti1p3next: an admin signed in here
opens our registration URL from the LMS ("register by URL"); we read the platform's OpenID
configuration, send it our tool configuration and record the Platform and Deployment it
answers with (lti.services.platform_register)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from pylti1p3.dynamic_registration import DynamicRegistration

from . import services
from .models import Platform

PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
]


class ToolRegistration(DynamicRegistration):
    client_name = "Backend Engineering: Scalable Architectures"
    description = "Weekly work, reviews and portfolios of the 24-week backend engineering course."

    def __init__(self, request: HttpRequest, *, openid_configuration: str, registration_token: str | None) -> None:
        self.request = request
        self.openid_configuration = openid_configuration
        self.registration_token = registration_token
        self.platform: Platform | None = None

    def _url(self, name: str) -> str:
        return self.request.build_absolute_uri(reverse(name))

    def get_openid_configuration_endpoint(self) -> str:
        return self.openid_configuration

    def get_registration_token(self) -> str | None:
        return self.registration_token

    def get_initiate_login_uri(self) -> str:
        return self._url("lti:login")

    def get_jwks_uri(self) -> str:
        return self._url("lti:jwks")

    def get_redirect_uris(self) -> list[str]:
        return [self._url("lti:launch")]

    def get_target_link_uri(self) -> str:
        return self._url("lti:launch")

    def get_domain(self) -> str:
        return self.request.get_host()

    def get_scopes(self) -> list[str]:
        return SCOPES

    def get_claims(self) -> list[str]:
        return ["iss", "sub", "name", "given_name", "family_name", "email"]

    def get_messages(self) -> list[dict[str, str]]:
        return [
            {
                "type": "LtiDeepLinkingRequest",
                "target_link_uri": self._url("lti:launch"),
                "label": "Add weeks and capstone deliverables",
            }
        ]

    def get_logo_uri(self) -> str:
        return ""

    def complete_registration(self, openid_configuration: dict[str, Any], openid_registration: dict[str, Any]):
        tool = openid_registration.get(TOOL_CONFIGURATION) or {}
        platform_conf = openid_configuration.get(PLATFORM_CONFIGURATION) or {}
        self.platform = services.platform_register(
            name=str(platform_conf.get("product_family_code") or openid_configuration["issuer"])[:120],
            issuer=openid_configuration["issuer"],
            client_id=str(openid_registration["client_id"]),
            auth_login_url=openid_configuration["authorization_endpoint"],
            access_token_url=openid_configuration["token_endpoint"],
            jwks_url=openid_configuration["jwks_uri"],
            audience=str(openid_configuration.get("authorization_server") or ""),
            deployment_id=str(tool.get("deployment_id") or ""),
        )
        return self.platform

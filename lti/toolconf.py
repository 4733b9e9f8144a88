"""pylti1p3's view of our registrations: platforms and deployments from the database, the
tool's key from lti.keys (never the database)."""

from __future__ import annotations

from pylti1p3.deployment import Deployment as LibDeployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config.abstract import ToolConfAbstract

from . import keys
from .models import Deployment, Platform


def registration_for(platform: Platform) -> Registration:
    registration = (
        Registration()
        .set_issuer(platform.issuer)
        .set_client_id(platform.client_id)
        .set_auth_login_url(platform.auth_login_url)
        .set_auth_token_url(platform.access_token_url)
        .set_key_set_url(platform.jwks_url)
    )
    if platform.audience:
        registration.set_auth_audience(platform.audience)
    key = keys.current_key()
    if key is not None:
        registration.set_tool_private_key(key.private_pem).set_tool_public_key(key.public_pem)
    return registration


class DatabaseToolConf(ToolConfAbstract):
    """Every issuer may register the tool more than once, so registrations are looked up by
    issuer and client id together. The platform found is kept (`platform`) for the view."""

    def __init__(self) -> None:
        self.platform: Platform | None = None
        self.deployment: Deployment | None = None

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def find_registration_by_issuer(self, iss: str, *args, **kwargs) -> Registration | None:
        platforms = list(Platform.objects.active().filter(issuer=iss)[:2])
        if len(platforms) != 1:
            return None
        self.platform = platforms[0]
        return registration_for(self.platform)

    def find_registration_by_params(self, iss: str, client_id: str | None, *args, **kwargs) -> Registration | None:
        if not client_id:
            return self.find_registration_by_issuer(iss)
        self.platform = Platform.objects.active().filter(issuer=iss, client_id=client_id).first()
        return registration_for(self.platform) if self.platform else None

    def find_deployment(self, iss: str, deployment_id: str) -> LibDeployment | None:
        return self.find_deployment_by_params(iss, deployment_id, self.platform.client_id if self.platform else None)

    def find_deployment_by_params(
        self, iss: str, deployment_id: str, client_id: str | None, *args, **kwargs
    ) -> LibDeployment | None:
        self.deployment = (
            Deployment.objects.select_related("platform")
            .filter(platform__is_active=True, platform__issuer=iss, platform__client_id=client_id)
            .filter(deployment_id=deployment_id)
            .first()
        )
        return LibDeployment().set_deployment_id(deployment_id) if self.deployment else None

from django.conf import settings
from django.core.checks import Warning, register

from .keys import uses_derived_key


@register(deploy=True)
def signing_key_configured(app_configs, **kwargs):
    if settings.DEBUG or not uses_derived_key():
        return []
    return [
        Warning(
            "Credentials are signed with a key derived from SECRET_KEY.",
            hint="Set CREDENTIALS_SIGNING_KEY_FILE (manage.py credentials_keygen makes a key); see "
            "docs/integrations.md, 'Keys and rotation'.",
            id="credentials.W001",
        )
    ]

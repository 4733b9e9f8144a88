"""Every app's data provider (its `privacy.py`, see core.privacy), in INSTALLED_APPS order
(lowest layer first). Exports run in this order; erasure runs it backwards, so the account
itself is pseudonymised last, after everything that names it."""

import importlib
import importlib.util

from django.apps import apps

from core.privacy import DataProvider


def providers() -> list[DataProvider]:
    found = []
    for config in apps.get_app_configs():
        module_name = f"{config.name}.privacy"
        if config.name == "privacy":
            module_name = "privacy.providers"
        if importlib.util.find_spec(module_name) is None:
            continue
        provider = getattr(importlib.import_module(module_name), "PROVIDER", None)
        if provider is not None:
            found.append(provider)
    return found


def covered_models() -> set[str]:
    return {label for provider in providers() for label in provider.models}

"""Every model that points at a person is covered by some app's privacy provider, so a new
model cannot be forgotten by the export and the erasure."""

from django.apps import apps
from django.conf import settings

from privacy.registry import covered_models, providers


def _label(model) -> str:
    return f"{model._meta.app_label}.{model.__name__}"


def test_every_model_with_a_user_foreign_key_is_covered_by_a_provider():
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    pointing = {_label(user_model)}
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if field.is_relation and not field.auto_created and field.related_model is user_model:
                pointing.add(_label(model))
    missing = sorted(pointing - covered_models())
    assert missing == [], f"No privacy provider covers {missing}: add them to the app's privacy.py"


def test_providers_name_only_models_that_exist():
    for label in covered_models():
        assert apps.get_model(label) is not None


def test_erasure_runs_top_down_so_the_account_goes_last():
    labels = [p.label for p in providers()]
    assert labels.index("Account and profile") < labels.index("Weekly work, evidence, risk log and retrospectives")
    assert labels[-1] == "Your data requests" or labels.index("Your data requests") > labels.index("Portfolio")

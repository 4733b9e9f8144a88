from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Users and API tokens"  # allauth's own admin group is "Accounts"

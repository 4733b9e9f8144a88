from django.db import transaction

from .models import User


@transaction.atomic
def user_update_profile(*, user: User, name: str, time_zone: str) -> User:
    user.name = name
    user.time_zone = time_zone
    user.full_clean(exclude=["password"])
    user.save(update_fields=["name", "time_zone"])
    return user

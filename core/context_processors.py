from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict:
    """What the shared navigation needs to know about the signed-in person."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {"signed_in": False}}
    from cohorts.selectors import roles_for_user

    roles = roles_for_user(user)
    return {
        "nav": {
            "signed_in": True,
            "is_student": "student" in roles,
            "is_mentor": "mentor" in roles,
            "is_instructor": "instructor" in roles,
            "is_staff": user.is_staff,
        }
    }

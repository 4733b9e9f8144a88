import datetime
import zoneinfo

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a known time zone (use an IANA name such as Europe/Berlin).")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if not extra_fields["is_staff"] or not extra_fields["is_superuser"]:
            raise ValueError("A superuser needs is_staff and is_superuser.")
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person on the platform; the e-mail address is the login."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField("e-mail address", unique=True)
    name = models.CharField(max_length=150, blank=True, help_text="Shown to mentors, peers and on portfolios.")
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="Due dates are shown in this time zone.",
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.display_name_of(self.name, self.email)

    @staticmethod
    def display_name_of(name: str, email: str) -> str:
        """display_name from the two columns, for reads that load values instead of rows."""
        return name or email.split("@")[0]

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.display_name


class PersonalAccessTokenQuerySet(models.QuerySet):
    """Usable: not revoked and not expired (the same rule as PersonalAccessToken.is_usable_at)."""

    def usable_at(self, moment: datetime.datetime) -> "PersonalAccessTokenQuerySet":
        return self.filter(revoked_at__isnull=True, expires_at__gt=moment)

    def unusable_at(self, moment: datetime.datetime) -> "PersonalAccessTokenQuerySet":
        return self.filter(models.Q(revoked_at__isnull=False) | models.Q(expires_at__lte=moment))


class PersonalAccessToken(models.Model):
    """A personal API token. Only a SHA-256 digest of the secret is stored; the secret is
    shown once, when the token is created. Tokens always expire and can be revoked."""

    class Scope(models.TextChoices):
        READ = "read", "Read only"
        READ_WRITE = "read_write", "Read and write"

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="access_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. “grading script”.")
    prefix = models.CharField(max_length=16, unique=True, help_text="The public start of the token, shown in lists.")
    secret_hash = models.CharField(max_length=64, help_text="SHA-256 of the whole token, hex.")
    scope = models.CharField(max_length=20, choices=Scope.choices, default=Scope.READ)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = PersonalAccessTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_read_only(self) -> bool:
        return self.scope == self.Scope.READ

    def is_usable_at(self, moment: datetime.datetime) -> bool:
        return self.revoked_at is None and moment < self.expires_at

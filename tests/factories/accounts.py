import datetime
import hashlib

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from accounts.models import PersonalAccessToken, User

__all__ = ["UserFactory", "EmailAddressFactory", "PersonalAccessTokenFactory", "DEFAULT_PASSWORD"]

DEFAULT_PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    name = factory.Faker("name")
    time_zone = "UTC"
    password = factory.PostGenerationMethodCall("set_password", DEFAULT_PASSWORD)

    @factory.post_generation
    def verified_email(self, create, extracted, **kwargs):
        """A verified primary address like the one signing up leaves (verified_email=False: none)."""
        if create and extracted is not False:
            self.save()
            EmailAddress.objects.get_or_create(
                user=self, email=self.email, defaults={"verified": True, "primary": True}
            )


class EmailAddressFactory(factory.django.DjangoModelFactory):
    """The verified primary address of a user who has none yet."""

    class Meta:
        model = EmailAddress

    user = factory.SubFactory(UserFactory, verified_email=False)
    email = factory.SelfAttribute("user.email")
    verified = True
    primary = True


class PersonalAccessTokenFactory(factory.django.DjangoModelFactory):
    """A token whose plaintext is on `.plaintext` (only the digest is stored)."""

    class Meta:
        model = PersonalAccessToken
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Script {n}")
    scope = PersonalAccessToken.Scope.READ_WRITE
    expires_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=30))
    prefix = factory.Sequence(lambda n: f"{n:08x}")
    plaintext = factory.LazyAttribute(lambda o: f"cpat_{o.prefix}_secret-{o.prefix}-{'x' * 20}")
    secret_hash = factory.LazyAttribute(lambda o: hashlib.sha256(o.plaintext.encode()).hexdigest())

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        plaintext = kwargs.pop("plaintext")
        token = super()._create(model_class, *args, **kwargs)
        token.plaintext = plaintext
        return token

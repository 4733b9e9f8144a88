"""Production settings (courseplatform.settings, DEBUG off) for the web instances the
scale-out tests start, with two test-only changes that have nothing to do with sharing state:

- static files are served by whitenoise straight from the apps' folders instead of from a
  `collectstatic` run (compressing 40 MB took two minutes on a busy test machine; the image's
  own static build is tested in tests/core/test_image_commands.py);
- the fast hasher of the test settings still verifies the passwords the factories set.
"""

from courseplatform import settings as production

globals().update({name: getattr(production, name) for name in dir(production) if name.isupper()})

STORAGES = {**production.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
WHITENOISE_USE_FINDERS = True
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.MD5PasswordHasher",
]

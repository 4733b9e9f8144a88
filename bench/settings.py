"""Settings for `make bench`: the real settings, plus (with DJANGO_BENCH=1) a urlconf that
adds a hello-world view as the baseline. Never used in production."""

import os

from courseplatform import settings as production

# Every setting of the production module, as `from … import *` would give them.
globals().update({name: getattr(production, name) for name in dir(production) if name.isupper()})

if os.environ.get("DJANGO_BENCH") == "1":
    ROOT_URLCONF = "bench.urls"
# Served over plain HTTP on 127.0.0.1, without collectstatic.
SECURE_SSL_REDIRECT = False
STORAGES = {
    **production.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

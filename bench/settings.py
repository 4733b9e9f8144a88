"""Settings for `make bench`: the real settings, plus (with DJANGO_BENCH=1) a urlconf that
adds a hello-world view as the baseline. Never used in production."""

import os

from courseplatform.settings import *  # noqa: F403

if os.environ.get("DJANGO_BENCH") == "1":
    ROOT_URLCONF = "bench.urls"
# Served over plain HTTP on 127.0.0.1, without collectstatic.
SECURE_SSL_REDIRECT = False
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405

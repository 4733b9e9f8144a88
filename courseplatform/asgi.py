import os

from django.conf import settings
from django.core.asgi import get_asgi_application

from core.observability.tracing import configure_tracing

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "courseplatform.settings")

# Before the handler loads the middleware: the Django instrumentation adds its own.
configure_tracing(f"{settings.TRACING_SERVICE_NAME}-web")

application = get_asgi_application()

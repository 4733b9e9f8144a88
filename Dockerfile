# Production image: slim Python, non-root user, gunicorn, static files collected at build
# time and served by whitenoise. The same image runs the web, worker and beat processes
# (see compose.yaml); configuration comes only from the environment.
FROM python:3.11-slim-bookworm AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint (PDF reports) needs Pango; libpq is not needed (psycopg[binary] bundles it);
# postgresql-client gives `manage.py backup` and `restore` their pg_dump and pg_restore;
# poppler-utils' pdftoppm draws the first page of a PDF for evidence previews (the worker).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core postgresql-client poppler-utils \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

# A fixed numeric id: Kubernetes' runAsNonRoot can only check a number (deploy/k8s).
RUN groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid app --home-dir /app --shell /usr/sbin/nologin app
COPY --chown=app:app . .

# collectstatic needs settings to load; these build-time values are never used at run time.
RUN DEBUG=false SECRET_KEY=build-only-secret-key-not-used-at-run-time-0123456789abcdef \
    python manage.py collectstatic --noinput

# Owned by app so the media volume mounted here (compose.yaml) starts writable.
RUN mkdir -p /app/media && chown app:app /app/media
USER app
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"
CMD ["gunicorn", "courseplatform.wsgi:application", "--config", "courseplatform/gunicorn.conf.py"]

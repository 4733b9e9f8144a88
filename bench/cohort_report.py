"""Time and peak memory of the cohort progress report for 1,000 students × 24 weeks.

    make bench            (or: .venv/bin/python bench/cohort_report.py [--students 1000] [--formats csv,pdf])

Builds a throwaway SQLite database (or uses DATABASE_URL: then it must be a scratch
database), imports the curriculum and creates one cohort whose students each have work for
every week (two thirds accepted with a mentor score, revisions, evidence links, a risk and
retrospectives), made with bulk_create. Then, each in a fresh process, builds the report
through reports.services.report_build and prints:
- wall time and the number of SQL queries;
- peak Python heap during the build (tracemalloc; measured in a second, traced run, since
  tracing slows Python down; for the PDF only with --trace-pdf, as tracing WeasyPrint's
  layout takes minutes);
- the process's peak resident memory (getrusage ru_maxrss; includes Django and, for PDF,
  WeasyPrint/Pango themselves).
"""

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLUG = "bench-reports"


def _environment(workdir: Path) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DEBUG="false",
        SECRET_KEY=env.get("SECRET_KEY") or secrets.token_urlsafe(64),
        MEDIA_ROOT=str(workdir / "media"),
        LOG_LEVEL="WARNING",
        REDIS_URL="",
        CELERY_BROKER_URL="memory://localhost/",
    )
    env.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    return env


def seed(students: int) -> None:
    import django

    django.setup()
    import datetime

    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import User
    from cohorts.models import Cohort, Membership
    from curriculum.selectors import course_default
    from tests.reports.bulk import bulk_cohort

    call_command("migrate", verbosity=0, interactive=False)
    if course_default() is None:
        call_command("import_curriculum", verbosity=0)
    if Cohort.objects.filter(slug=SLUG).exists():
        return
    cohort = Cohort.objects.create(
        course=course_default(),
        name="Bench cohort",
        slug=SLUG,
        start_date=timezone.localdate() - datetime.timedelta(days=7 * 26),
        time_zone="UTC",
    )
    instructor = User.objects.create_user(email="bench-instructor@example.com", password=secrets.token_urlsafe(16))
    mentor = User.objects.create_user(email="bench-mentor@example.com", password=secrets.token_urlsafe(16))
    Membership.objects.create(cohort=cohort, user=instructor, role=Membership.Role.INSTRUCTOR)
    Membership.objects.create(cohort=cohort, user=mentor, role=Membership.Role.MENTOR)
    bulk_cohort(cohort, students, mentor=mentor, prefix="bench")


def build(fmt: str, traced: bool) -> dict:
    import django

    django.setup()
    import resource
    import tracemalloc

    from django.db import connection

    from accounts.models import User
    from cohorts.models import Cohort
    from reports.services import report_build, report_request

    cohort = Cohort.objects.select_related("course").get(slug=SLUG)
    by = User.objects.get(email="bench-instructor@example.com")
    run = report_request(kind="cohort", fmt=fmt, cohort=cohort, by=by, enqueue_build=False)
    queries = {"n": 0}

    def count(execute, sql, params, many, context):
        queries["n"] += 1
        return execute(sql, params, many, context)

    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    with connection.execute_wrapper(count):
        run = report_build(run=run)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if traced else None
    if run.status != "succeeded":
        raise SystemExit(f"The report failed: {run.error}")
    return {
        "seconds": seconds,
        "queries": queries["n"],
        "python_peak_mib": peak / 2**20 if peak is not None else None,
        "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "size_kib": run.file.size / 1024,
    }


def _child(env: dict, *arguments: str) -> str:
    result = subprocess.run(
        [sys.executable, __file__, *arguments], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    return result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=1000)
    parser.add_argument("--formats", default="csv,pdf", help="Comma-separated: csv, html, pdf.")
    parser.add_argument(
        "--trace-pdf",
        action="store_true",
        help="Also trace the PDF build's Python heap (tracemalloc: several minutes).",
    )
    parser.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--build", help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.seed is not None:
        seed(args.seed)
        return
    if args.build:
        print(json.dumps(build(args.build, args.traced)))
        return

    with tempfile.TemporaryDirectory(prefix="cp-bench-reports-") as tmp:
        env = _environment(Path(tmp))
        print(f"Seeding {args.students} students × 24 weeks (bulk_create) …", flush=True)
        started = time.perf_counter()
        _child(env, "--seed", str(args.students))
        print(f"  seeded in {time.perf_counter() - started:.1f} s")
        print(f"Cohort progress report, {args.students} students × 24 weeks:")
        for fmt in [f.strip() for f in args.formats.split(",") if f.strip()]:
            plain = json.loads(_child(env, "--build", fmt))
            heap = "n/a (--trace-pdf)"
            if fmt != "pdf" or args.trace_pdf:
                traced = json.loads(_child(env, "--build", fmt, "--traced"))
                heap = f"{traced['python_peak_mib']:7.1f} MiB"
            print(
                f"  {fmt.upper():4} {plain['seconds']:6.2f} s  {plain['queries']:4d} queries  "
                f"peak Python heap {heap}  peak RSS {plain['maxrss_mib']:7.1f} MiB  file {plain['size_kib']:8.1f} KiB",
                flush=True,
            )


if __name__ == "__main__":
    main()

"""Throughput of the public portfolio page against a Django hello-world view.

    make bench            (or: .venv/bin/python bench/public_portfolio.py --seconds 10)

Builds a throwaway SQLite database (or uses DATABASE_URL), seeds a public portfolio with 20
published entries through the real services, starts gunicorn with the production config
(courseplatform/gunicorn.conf.py: same workers and threads, DEBUG off; only worker
recycling is turned off so neither target pays for restarts) and the bench settings, then
drives both URLs with the same client (Python threads, keep-alive http.client connections)
for the same time and prints requests/s and the ratio.
"""

import argparse
import http.client
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLUG = "bench-learner"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _environment(workdir: Path) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_BENCH="1",
        DEBUG="false",
        SECRET_KEY=env.get("SECRET_KEY") or secrets.token_urlsafe(64),
        MEDIA_ROOT=str(workdir / "media"),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LOG_LEVEL="WARNING",
    )
    env.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    return env


def seed(entries: int) -> None:
    """Runs inside a child process with the bench environment."""
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command

    from accounts.models import User
    from cohorts.models import Cohort, Membership
    from cohorts.services import cohort_create, membership_add, mentor_assign
    from curriculum.models import CapstoneDeliverable
    from curriculum.selectors import course_default
    from portfolios import services
    from portfolios.models import Portfolio
    from submissions import services as work_services

    call_command("migrate", verbosity=0, interactive=False)
    if course_default() is None:
        call_command("import_curriculum", verbosity=0)
    course = course_default()
    if Portfolio.objects.filter(slug=SLUG).exists():
        return
    import datetime

    from django.utils import timezone

    cohort = Cohort.objects.filter(slug="bench").first() or cohort_create(
        course=course, name="Bench", slug="bench", start_date=datetime.date(2026, 1, 5), time_zone="UTC"
    )
    student = User.objects.create_user(
        email=f"bench-{secrets.token_hex(4)}@example.com", password=None, name="Bench Learner"
    )
    mentor = User.objects.create_user(
        email=f"mentor-{secrets.token_hex(4)}@example.com", password=None, name="Bench Mentor"
    )
    membership_add(cohort=cohort, user=student, role=Membership.Role.STUDENT)
    membership_add(cohort=cohort, user=mentor, role=Membership.Role.MENTOR)
    mentor_assign(cohort=cohort, mentor=mentor, student=student)
    portfolio = services.portfolio_ensure(user=student)
    services.portfolio_update_profile(
        portfolio=portfolio,
        slug=SLUG,
        display_name="Bench Learner",
        headline="Backend engineer",
        bio="I measure before I change anything. " * 5,
        links=[{"label": "GitHub", "url": "https://github.com/example"}],
        visibility=Portfolio.Visibility.PUBLIC,
    )
    targets = [{"week": w} for w in course.weeks.order_by("number")[: max(0, entries - 3)]]
    targets += [{"deliverable": d} for d in CapstoneDeliverable.objects.filter(project__course=course)[:3]]
    now = timezone.now()
    for target in targets[:entries]:
        work = work_services.work_get_or_create(student=student, cohort=cohort, **target)
        work_services.artifact_upload(
            work=work,
            upload=SimpleUploadedFile("k6-summary.txt", b"p95=41ms at 200 req/s\n"),
            proves="Latency under load",
            by=student,
        )
        work_services.artifact_add_link(
            work=work, url="https://github.com/example/bench", proves="The code", by=student
        )
        revision = work_services.work_submit(work=work, by=student, now=now)
        work_services.work_accept(work=work, revision=revision, by=mentor)
        ids = list(revision.artifacts.values_list("pk", flat=True))
        narrative = "**Problem.** Slow pages.\n\n**Decision.** Prefetch, then cache.\n\n**Result.** p95 140 ms."
        services.entry_publish(work=work, by=student, narrative=narrative, artifact_ids=ids)


def _wait_ready(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not become ready; see the log printed above.")


def measure(port: int, path: str, seconds: float, clients: int) -> tuple[float, int, int]:
    """Requests per second of 200 responses, with `clients` keep-alive connections."""
    ok = [0] * clients
    errors = [0] * clients
    stop = time.monotonic() + seconds

    def run(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while time.monotonic() < stop:
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    ok[index] += 1
                else:
                    errors[index] += 1
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            except (OSError, http.client.HTTPException):
                errors[index] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    return sum(ok) / elapsed, sum(ok), sum(errors)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="duration per URL (default 10)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent keep-alive connections (default 16)")
    parser.add_argument("--entries", type=int, default=20, help="published entries on the page (default 20)")
    parser.add_argument("--seed-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_only:
        seed(args.entries)
        return

    with tempfile.TemporaryDirectory(prefix="portfolio-bench-") as tmp:
        workdir = Path(tmp)
        env = _environment(workdir)
        print("Seeding a public portfolio with", args.entries, "entries…", flush=True)
        subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--seed-only", "--entries", str(args.entries)],
            cwd=ROOT,
            env={**env, "PYTHONPATH": str(ROOT)},
            check=True,
        )
        port = _free_port()
        env["GUNICORN_BIND"] = f"127.0.0.1:{port}"
        log = (workdir / "gunicorn.log").open("w")
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "courseplatform.wsgi:application",
                "--config",
                "courseplatform/gunicorn.conf.py",
                "--access-logfile",
                "/dev/null",
                # Worker recycling (max_requests) would restart workers during whichever target
                # runs second and charge it for the restarts; the rest of the config is unchanged.
                "--max-requests",
                "0",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            try:
                _wait_ready(port)
            except SystemExit:
                log.flush()
                print((workdir / "gunicorn.log").read_text()[-3000:])
                raise

            results = []
            for label, path in (("hello world (Django view)", "/bench/hello/"), (f"/p/{SLUG}/", f"/p/{SLUG}/")):
                measure(port, path, 1.0, args.clients)  # warm up: caches, connections
                rps, ok, errors = measure(port, path, args.seconds, args.clients)
                results.append((label, rps, ok, errors))
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()

    workers = env.get("WEB_CONCURRENCY", f"{os.cpu_count()} CPUs × 2 + 1")
    threads = env.get("GUNICORN_THREADS", "2")
    cache = "Redis" if env.get("REDIS_URL") else "local memory"
    database = env["DATABASE_URL"].split(":", 1)[0]
    print()
    print(f"gunicorn: workers={workers}, threads={threads}; DEBUG off; database={database}; cache={cache}")
    print(f"client: {args.clients} keep-alive connections, {args.seconds:g} s per URL, {args.entries} entries")
    print()
    print(f"{'URL':<28} {'req/s':>10} {'200s':>8} {'errors':>7}")
    print("-" * 56)
    for label, rps, ok, errors in results:
        print(f"{label:<28} {rps:>10.1f} {ok:>8} {errors:>7}")
    print("-" * 56)
    hello, page = results[0][1], results[1][1]
    print(f"portfolio / hello ratio: {page / hello:.2f}" if hello else "hello world served nothing")


if __name__ == "__main__":
    main()

"""CPU per request of the gradebook and heatmap pages, in-process (docs/gradebook.md, "How it
stays fast"). Wall-clock throughput on a shared machine swings with everyone else's load; the
CPU time this process spends per request (time.process_time) does not, so this is the figure to
compare between changes. PostgreSQL's own time is not in it: that is the "wall" column's part.

    DATABASE_URL=… REDIS_URL=… .venv/bin/python bench/gradebook_cpu.py [--requests 200]
        [--cohort bench-3334] [--who instructor] [--query "sort=total&dir=desc"]

It runs against a database loaded by `manage.py seed_load` (the bench's), with the bench
settings (DEBUG off), through Django's test client with the full middleware stack, and prints
per query string: the first request (cache cold), then the mean CPU and wall time over the
requests that follow, beside the hello view's.
"""

import argparse
import html
import os
import re
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUERIES = [
    "",
    "sort=total&dir=desc",
    "sort=average",
    "sort=w7&dir=desc",
    "status=missing",
    "status=not_started",
    "status=accepted&sort=total&dir=desc",
    "at_risk=on",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--cohort", default="bench-3334")
    parser.add_argument("--who", default="instructor", choices=["instructor", "mentor"])
    parser.add_argument("--view", default="insights:gradebook")
    parser.add_argument("--query", action="append", help="a query string (repeatable); default: QUERIES")
    parser.add_argument("--deep", action="store_true", help="also follow Next 20 times and time that page")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    os.environ["DJANGO_BENCH"] = "1"
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(64))
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1")
    os.environ.setdefault("MFA_REQUIRED_FOR_STAFF", "false")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.test import Client
    from django.urls import reverse

    from accounts.models import User
    from cohorts.models import Cohort

    cohort = Cohort.objects.get(slug=args.cohort)
    user = User.objects.filter(memberships__cohort=cohort, memberships__role=args.who).order_by("pk").first()
    client = Client()
    client.force_login(user)
    url = reverse(args.view, args=[cohort.slug])

    def timed(path: str, n: int) -> tuple[float, float, int]:
        cpu, wall = time.process_time(), time.perf_counter()
        status = 0
        for _ in range(n):
            response = client.get(path)
            status = response.status_code
        return (time.process_time() - cpu) / n * 1000, (time.perf_counter() - wall) / n * 1000, status

    hello_cpu, hello_wall, _ = timed("/bench/hello/", 10)
    hello_cpu, hello_wall, _ = timed("/bench/hello/", args.requests)
    print(f"{'hello view':<44} {'':>16} {hello_cpu:8.2f} ms CPU {hello_wall:8.2f} ms wall")
    print(f"{'page':<44} {'first (cold)':>16} {'then, mean over ' + str(args.requests):>30}")
    for query in args.query or QUERIES:
        path = f"{url}?{query}" if query else url
        first_cpu, first_wall, status = timed(path, 1)
        cpu, wall, _ = timed(path, args.requests)
        label = query or "(default: by name)"
        print(f"{label:<44} {first_wall:10.0f} ms wall {cpu:8.2f} ms CPU {wall:8.2f} ms wall  [{status}]")
        if args.deep:
            deep = path
            for _ in range(20):  # follow "Next 50" as a reader would
                found = re.search(r'href="([^"]*)" rel="next"', client.get(deep).content.decode())
                if not found:
                    break
                deep = url + html.unescape(found.group(1))
            first_cpu, first_wall, status = timed(deep, 1)
            cpu, wall, _ = timed(deep, args.requests)
            label = "  … 20 pages further"
            print(f"{label:<44} {first_wall:10.0f} ms wall {cpu:8.2f} ms CPU {wall:8.2f} ms wall  [{status}]")
    print(f"cohort {cohort.slug}, {args.who} {user.email}")


if __name__ == "__main__":
    main()

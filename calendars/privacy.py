"""What calendars holds about a person: whether their feed is on (its address is derived,
never stored)."""

from core.privacy import DataProvider, Erasure, ExportArchive

from .models import CalendarFeed


def _export(user, archive: ExportArchive) -> None:
    feed = CalendarFeed.objects.filter(user=user).first()
    archive.add_json(
        "calendar_feed.json",
        {
            "enabled": feed is not None,
            "created_at": feed.created_at.isoformat() if feed else None,
            "reset_at": feed.reset_at.isoformat() if feed and feed.reset_at else None,
        },
    )


def _erase(erasure: Erasure) -> None:
    erasure.count("calendar feeds", CalendarFeed.objects.filter(user=erasure.user).delete()[0])


PROVIDER = DataProvider(label="Calendar feed", models=("calendars.CalendarFeed",), export=_export, erase=_erase)

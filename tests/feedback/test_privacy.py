"""The feedback app's part of a person's data: the export names authors as the person may
see them; erasure removes the person's words and leaves "comment removed"."""

import datetime

import pytest
from django.utils import timezone

from core.privacy import Erasure
from feedback import services
from feedback.models import Comment, Thread
from feedback.privacy import PROVIDER

pytestmark = pytest.mark.django_db


class Archive:
    def __init__(self) -> None:
        self.files: dict[str, object] = {}

    def add_json(self, path: str, data) -> None:
        self.files[path] = data

    def add_file(self, path: str, source) -> bool:
        return False


def test_the_students_export_keeps_the_peer_anonymous_and_the_peers_export_hides_the_student(revision, people, peer):
    thread = services.thread_open(revision=revision, by=people.other_student, body="Baseline?", section="lab")
    services.thread_reply(thread=thread, by=people.student, body="Added.")
    mine = Archive()
    PROVIDER.export(people.student, mine)
    exported = mine.files["comment_threads.json"]
    assert [c["author"] for c in exported["on_my_work"][0]["comments"]] == ["Peer reviewer 1", "You"]
    assert people.other_student.display_name not in str(exported)
    theirs = Archive()
    PROVIDER.export(people.other_student, theirs)
    exported = theirs.files["comment_threads.json"]
    assert exported["i_took_part_in"][0]["work"] == "a classmate's work"
    assert people.student.display_name not in str(exported)


def test_erasure_removes_the_persons_words_and_scrubs_their_name_from_others(revision, people):
    thread = services.thread_open(
        revision=revision, by=people.mentor, body=f"{people.student.display_name}, measure it.", section="lab"
    )
    services.thread_reply(thread=thread, by=people.student, body="My private reasoning")
    erasure = Erasure(
        user=people.student,
        pseudonym="Former learner 7",
        now=timezone.now() + datetime.timedelta(seconds=1),
        former_strings=(people.student.display_name, people.student.email),
    )
    PROVIDER.erase(erasure)
    bodies = list(Comment.objects.filter(thread=thread).order_by("pk").values_list("body", "removed_at"))
    assert bodies[0][0] == "Former learner 7, measure it."
    assert bodies[1][0] == "" and bodies[1][1] is not None
    assert Thread.objects.filter(pk=thread.pk).exists()

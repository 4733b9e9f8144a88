"""Threads are opened through feedback.services.thread_open, the only way one is made: it
writes the thread, its anchor and its first comment together, by an assigned mentor of a
submitted revision."""

import factory

from feedback import services
from feedback.models import Anchor, Comment, Thread
from tests.factories.rubrics import assigned_mentor
from tests.factories.submissions import RevisionFactory

__all__ = ["ThreadFactory", "AnchorFactory", "CommentFactory"]


def _open_thread(revision=None, body: str = "Which figure backs this claim?", section: str = "concept") -> Thread:
    revision = revision or RevisionFactory()
    return services.thread_open(revision=revision, by=assigned_mentor(revision.work), body=body, section=section)


class ThreadFactory(factory.django.DjangoModelFactory):
    """A mentor's thread on a whole section of a submitted revision."""

    class Meta:
        model = Thread

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return _open_thread(**kwargs)


class AnchorFactory(factory.django.DjangoModelFactory):
    """The anchor of a new thread (made with it)."""

    class Meta:
        model = Anchor

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return _open_thread(**kwargs).anchors.get()


class CommentFactory(factory.django.DjangoModelFactory):
    """The first comment of a new thread (made with it)."""

    class Meta:
        model = Comment

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return _open_thread(**kwargs).comments.get()

"""What the feedback app tells the apps above it (notifications connects receivers).

Both are sent inside the transaction of the service that made the change, so a receiver
that writes a row commits or rolls back with it.
"""

from django.dispatch import Signal

#: A comment was posted: a thread's first comment or a reply. Sent with `comment=<Comment>`.
comment_posted = Signal()

#: The student says a thread is addressed. Sent with `thread=<Thread>, by=<User>`.
thread_addressed = Signal()

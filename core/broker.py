"""kombu's Redis transport with one change: a task whose worker process died goes back to the
front of its queue, not the back.

With `acks_late` and `task_reject_on_worker_lost` (courseplatform/settings.py) a task whose pool
process is killed (out of memory, SIGKILL) is rejected and requeued. kombu's Redis QoS requeues
a rejected message with LPUSH, the end publishing also writes to, while workers take from the
other end (BRPOP): the interrupted task waited behind everything queued after it, although it
had been next. Messages restored after the visibility timeout (a whole worker lost) already go
back to the front (RPUSH); a rejected one now does the same. Used when the broker URL is
`redis://` (settings: CELERY_BROKER_TRANSPORT).
"""

from kombu.transport import redis


class FrontRequeueQoS(redis.QoS):
    def reject(self, delivery_tag, requeue=False):
        if requeue:
            # leftmost=False: RPUSH, the end the next BRPOP takes from.
            self.restore_by_tag(delivery_tag, leftmost=False)
        else:
            self._remove_from_indices(delivery_tag).execute()
        super(redis.QoS, self).ack(delivery_tag)


class Channel(redis.Channel):
    QoS = FrontRequeueQoS


class Transport(redis.Transport):
    Channel = Channel

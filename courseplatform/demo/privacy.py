"""Demo data of the privacy app: a ready data archive of the first demo student (built
in-process through the same service a worker runs) and, for the last demo student, an
erasure an administrator scheduled (it runs when its grace period ends, unless cancelled on
/privacy/people/<id>/). Idempotent: neither is made twice."""

from courseplatform.demo import DemoContext
from privacy.models import DataExport, ErasureRequest
from privacy.services import erasure_request, export_build, export_request


def seed(demo: DemoContext) -> None:
    student = demo.students[0]
    if not DataExport.objects.filter(user=student, status=DataExport.Status.SUCCEEDED).exists():
        export = export_build(export=export_request(user=student, by=student, enqueue_build=False))
        demo.write(f"Privacy: data archive of {student.email}: {export.get_status_display().lower()}.")
    leaving = demo.students[-1]
    if not ErasureRequest.objects.filter(user=leaving).exists():
        request = erasure_request(user=leaving, by=demo.admin, reason="Demo: the learner asked by e-mail.")
        demo.write(f"Privacy: erasure of {leaving.email} scheduled for {request.due_at:%Y-%m-%d}.")

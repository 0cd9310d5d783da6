from django.http import Http404

from backend.accounts.models import User
from backend.jobs.models import Job
from backend.projects.permissions import ANY_ROLE, membership_require


def job_get_for_user(*, user: User, job_id: int, roles=ANY_ROLE) -> Job:  # type: ignore[no-untyped-def]
    """The job if the user is a member of its project with one of `roles`; else 404/403."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        raise Http404("No such job.")
    membership_require(user=user, project_id=job.project_id, roles=roles)
    return job

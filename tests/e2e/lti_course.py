"""The LMS course both LTI journeys start from: the test LMS (tests/lti/lms_server.py, its own
process) with an instructor and a learner in course "be-101", registered here as a platform
whose course maps to a running cohort of the bundled course."""

from contextlib import contextmanager

from lti.models import Context, Deployment, Platform
from tests.factories import CohortFactory
from tests.lti.harness import CLIENT_ID, DEPLOYMENT_ID, INSTRUCTOR, LEARNER, person, running_lms, tool_urls
from tests.lti.keyfiles import write_key


@contextmanager
def lms_course(*, live_server, settings, tmp_path, course):
    key = tmp_path / "tool.pem"
    write_key(key)
    settings.LTI_PRIVATE_KEY_FILE = str(key)
    settings.LTI_TRUST_PLATFORM_SIGN_IN = True  # the instructor's LMS sign-in counts (docs/integrations.md)
    users = {"ina": person("Ina Instructor", "ina@uni.example"), "lea": person("Lea Learner", "lea@uni.example")}
    contexts = {
        "be-101": {
            "title": "Backend Engineering (Fall)",
            "label": "BE-101",
            "members": {"ina": [INSTRUCTOR], "lea": [LEARNER]},
        }
    }
    # The LMS fetches our key set from the live server, as Canvas would.
    with running_lms(tool=tool_urls(live_server.url), users=users, contexts=contexts) as started:
        platform = Platform.objects.create(
            name="Test LMS",
            issuer=started.issuer,
            client_id=CLIENT_ID,
            auth_login_url=started.auth_url,
            access_token_url=started.token_url,
            jwks_url=started.jwks_url,
        )
        deployment = Deployment.objects.create(platform=platform, deployment_id=DEPLOYMENT_ID)
        cohort = CohortFactory(course=course, running=True, name="Backend Engineering (Fall)")
        Context.objects.create(platform=platform, deployment=deployment, context_id="be-101", cohort=cohort)
        started.cohort = cohort
        yield started

import pytest
from django.test import override_settings

from lti import keys
from lti.models import Context, Deployment, Platform
from tests.factories import CohortFactory

from .harness import CLIENT_ID, DEPLOYMENT_ID, running_lms, tool_urls
from .keyfiles import write_key
from .launching import LINKS, MEMBERS, TOOL, USERS


@pytest.fixture
def tool_key(settings, tmp_path):
    """The tool's current key, configured from a file as in production (a new one per test)."""
    path = tmp_path / "tool-key.pem"
    key = write_key(path)
    settings.LTI_PRIVATE_KEY_FILE = str(path)
    settings.LTI_PRIVATE_KEY = ""
    return key


# --- the test LMS, registered at the tool (launch tests) --------------------------------


@pytest.fixture(scope="module")
def key_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("lti") / "tool.pem"
    write_key(path)
    return path


@pytest.fixture
def launch_key(settings, key_file):
    settings.LTI_PRIVATE_KEY_FILE = str(key_file)
    settings.LTI_PRIVATE_KEY = ""
    return keys.current_key()


@pytest.fixture(scope="module")
def lms(key_file):
    with override_settings(LTI_PRIVATE_KEY_FILE=str(key_file), LTI_PRIVATE_KEY=""):
        published = {"keys": keys.published_keys()}
    contexts = {
        "course-1": {"title": "Backend Engineering (Fall)", "label": "BE-101", "members": MEMBERS},
        "course-2": {"title": "Backend Engineering (Spring)", "label": "BE-102", "members": MEMBERS},
    }
    with running_lms(
        tool={**tool_urls(TOOL), "jwks": published}, users=USERS, contexts=contexts, resource_links=LINKS
    ) as started:
        yield started


@pytest.fixture
def platform(db, lms, launch_key) -> Platform:
    platform = Platform.objects.create(
        name="Test LMS",
        issuer=lms.issuer,
        client_id=CLIENT_ID,
        auth_login_url=lms.auth_url,
        access_token_url=lms.token_url,
        jwks_url=lms.jwks_url,
    )
    Deployment.objects.create(platform=platform, deployment_id=DEPLOYMENT_ID)
    return platform


@pytest.fixture
def cohort(platform, course):
    """course-1 already set up by its instructor: mapped to a cohort of the bundled course."""
    cohort = CohortFactory(course=course, running=True)
    Context.objects.create(
        platform=platform, deployment=platform.deployments.get(), context_id="course-1", cohort=cohort
    )
    return cohort

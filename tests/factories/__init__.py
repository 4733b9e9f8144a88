"""factory-boy factories for every model of the project's apps (tests/test_factories.py
checks that none is missing), one module per app, all importable from here.

Rows that only a service may write are made through that service, so they hold the
domain's rules: revisions and their artifact links (submissions.services.work_submit),
uploaded evidence, assessments and their criterion scores, self-assessment drafts,
calibration runs and portfolio entries with their proofs. Those factories create; they do
not build unsaved objects."""

from .accounts import *  # noqa: F403
from .api import *  # noqa: F403
from .calendars import *  # noqa: F403
from .cohorts import *  # noqa: F403
from .core import *  # noqa: F403
from .credentials import *  # noqa: F403
from .curriculum import *  # noqa: F403
from .feedback import *  # noqa: F403
from .insights import *  # noqa: F403
from .lti import *  # noqa: F403
from .notifications import *  # noqa: F403
from .portfolios import *  # noqa: F403
from .privacy import *  # noqa: F403
from .reports import *  # noqa: F403
from .rubrics import *  # noqa: F403
from .submissions import *  # noqa: F403

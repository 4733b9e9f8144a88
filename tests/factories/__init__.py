"""factory-boy factories for every model, one module per app, all importable from here."""

from .accounts import *  # noqa: F403
from .cohorts import *  # noqa: F403
from .curriculum import *  # noqa: F403
from .notifications import *  # noqa: F403
from .portfolios import *  # noqa: F403
from .reports import *  # noqa: F403
from .rubrics import *  # noqa: F403
from .submissions import *  # noqa: F403

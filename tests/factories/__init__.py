"""factory-boy factories for every model, one module per app, all importable from here."""

from .accounts import *  # noqa: F403
from .cohorts import *  # noqa: F403
from .curriculum import *  # noqa: F403

"""The page slots accounts offers to apps above it (see core.panels)."""

from core.panels import PanelSlot

# The profile page: providers are called with user= and request= (the page's own user).
PROFILE = PanelSlot("profile")

app_name = "insights"

# Routes are added as the pages land.
urlpatterns: list = []

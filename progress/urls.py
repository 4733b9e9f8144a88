app_name = "progress"

# Routes are added as the pages land.
urlpatterns: list = []

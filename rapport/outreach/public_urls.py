"""Pages a customer opens from a message, without signing in (the link's token is the key)."""

app_name = "outreach_public"
urlpatterns: list = []

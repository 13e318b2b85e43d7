from django.apps import AppConfig


class HubTestConfig(AppConfig):
    name = "rapport.customers.tests.hubapp"
    label = "hubtest"
    default_auto_field = "django.db.models.BigAutoField"

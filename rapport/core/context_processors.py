from django.conf import settings


def navigation(request):
    return {"LANGUAGE_CHOICES": settings.LANGUAGES, "RAPPORT_CURRENCY": settings.RAPPORT_CURRENCY}

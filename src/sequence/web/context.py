from django.conf import settings


def site(request):
    return {
        "SITE_NAME": settings.SITE_NAME,
        "SUPPORT_EMAIL": settings.SUPPORT_EMAIL,
        "LEGAL_NAME": settings.LEGAL_NAME,
        "LEGAL_DISCLAIMER": settings.LEGAL_DISCLAIMER,
        "DEMO": settings.DEMO,
    }

from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    name = "sequence.onboarding"
    label = "onboarding"

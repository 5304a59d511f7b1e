from django.core.checks import Error, register

from .crypto import check_key_configured


@register()
def pii_key_check(app_configs, **kwargs):
    """Refuse to run without a usable key for personal data."""
    message = check_key_configured()
    if message:
        return [Error(message, id="mamagang.E001", hint="See .env.example for how to make a key.")]
    return []

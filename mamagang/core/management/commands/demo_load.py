from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.test.utils import override_settings
from django.utils.module_loading import import_string

from mamagang.core.demo import DEMO_PASSWORD, DEMO_USERS


class Command(BaseCommand):
    help = "Load realistic demo data (regions, users, then each app's step). Safe to run again."

    def handle(self, *args, **options):
        call_command("regions_load", verbosity=options["verbosity"])
        # Demo notifications would print dozens of e-mails and texts on the console: keep them
        # in memory.
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            SMS_BACKEND="mamagang.core.sms.LocmemSmsBackend",
        ):
            for dotted in settings.MAMAGANG_DEMO_STEPS:
                message = import_string(dotted)()
                if message:
                    self.stdout.write(self.style.SUCCESS(str(message)))
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD})")
        for spec in DEMO_USERS:
            self.stdout.write(f"  {spec.phone}  {spec.display_name:<6}  {spec.description}")
        self.stdout.write("")

from django.core.management import call_command
from django.core.management.base import BaseCommand

from mamagang.core.demo import DEMO_PASSWORD, demo_users_load


class Command(BaseCommand):
    help = "Load realistic demo data (regions, one user per role). Safe to run again."

    def handle(self, *args, **options):
        call_command("regions_load", verbosity=options["verbosity"])
        results = demo_users_load()
        created = sum(1 for _, was_created in results if was_created)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo users: {created} created, {len(results) - created} already there."
            )
        )
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD})")
        for spec, _ in results:
            self.stdout.write(f"  {spec.phone}  {spec.display_name:<6}  {spec.description}")
        self.stdout.write("")

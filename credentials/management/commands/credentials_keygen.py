import json

from django.core.management.base import BaseCommand

from credentials.keys import generate_private_jwk


class Command(BaseCommand):
    help = (
        "Print a new Ed25519 signing key as a JWK (with its private part). Save it to a file only the "
        "web processes can read and point CREDENTIALS_SIGNING_KEY_FILE at it; see docs/integrations.md."
    )

    def handle(self, *args, **options):
        self.stdout.write(json.dumps(generate_private_jwk()))

from django.core.management.base import BaseCommand

from notifications.push import vapid_key_pair


class Command(BaseCommand):
    help = (
        "Print a new VAPID key pair for web push, as .env lines (VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY). "
        "Keep the private key secret; changing the pair later turns off every device's pushes until "
        "it subscribes again."
    )

    def handle(self, *args: object, **options: object) -> None:
        public_key, private_key = vapid_key_pair()
        self.stdout.write(f"VAPID_PUBLIC_KEY={public_key}")
        self.stdout.write(f"VAPID_PRIVATE_KEY={private_key}")

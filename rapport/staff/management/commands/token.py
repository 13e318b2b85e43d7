from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from rapport.staff.models import ApiToken
from rapport.staff.services import token_create


class Command(BaseCommand):
    help = (
        "Manage API tokens: `rapport token create USERNAME [--name NAME]`, `list`, `revoke PREFIX`."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create")
        create.add_argument("username")
        create.add_argument("--name", default="")
        sub.add_parser("list")
        revoke = sub.add_parser("revoke")
        revoke.add_argument("prefix")

    def handle(self, *args, action, **options):
        if action == "create":
            try:
                user = get_user_model().objects.get(username=options["username"])
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user named {options['username']!r}.") from None
            _token, key = token_create(user=user, name=options["name"])
            self.stdout.write(key)
            self.stderr.write("Keep this key: it is not stored and cannot be shown again.")
        elif action == "list":
            for t in ApiToken.objects.select_related("user").order_by("-created_at"):
                state = "revoked" if t.revoked else "active"
                self.stdout.write(
                    f"{t.prefix}…\t{t.user.username}\t{t.name}\t{state}\t{t.last_used_at or '-'}"
                )
        else:
            n = ApiToken.objects.filter(prefix=options["prefix"], revoked=False).update(
                revoked=True
            )
            if not n:
                raise CommandError("No active token with that prefix.")
            self.stdout.write(f"Revoked {n} token(s).")

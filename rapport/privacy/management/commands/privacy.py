"""`rapport privacy export|erase|purge`: access requests, erasure and the retention purge."""

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.template.loader import render_to_string
from django.utils import translation

from rapport.core.actors import COMMAND_LINE
from rapport.customers.models import Customer
from rapport.customers.numbers import parse_customer_number
from rapport.privacy import selectors, services
from rapport.privacy.choices import ReadKind


def _customer(value: str) -> Customer:
    pk = parse_customer_number(value)
    customer = Customer.objects.filter(pk=pk).first() if pk is not None else None
    if customer is None:
        raise CommandError(f"No customer {value!r} (give its id or number, e.g. C0000042).")
    return customer


class Command(BaseCommand):
    help = "Privacy: export everything held about a customer, erase them, or purge old data."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser(
            "export", help="Everything held about one customer (access request)."
        )
        export.add_argument("customer", help="id or number (C0000042)")
        export.add_argument("--format", choices=("json", "html"), default="json")
        export.add_argument("--output", "-o", help="file to write (default: standard output)")
        erase = sub.add_parser("erase", help="Erase a customer's personal data on their request.")
        erase.add_argument("customer", help="id or number (C0000042)")
        erase.add_argument("--reason", required=True, help="why: the person's request")
        erase.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        sub.add_parser("purge", help="Delete what is older than the retention settings allow.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "purge":
            done = services.retention_purge()
            for name, count in done.items():
                self.stdout.write(f"{name}: {count}")
            return
        customer = _customer(options["customer"])
        if action == "export":
            self._export(customer, options["format"], options.get("output"))
        else:
            self._erase(customer, options["reason"], options["yes"])

    def _export(self, customer: Customer, fmt: str, output: str | None) -> None:
        export = selectors.person_export(customer)
        services.read_log(
            by=COMMAND_LINE,
            kind=ReadKind.ACCESS_EXPORT,
            count=1,
            customer_id=customer.pk,
            filters={"format": fmt, "via": "command line"},
        )
        if fmt == "json":
            data = export.json_bytes()
        else:
            with translation.override(export.language):
                data = render_to_string(
                    "privacy/export.html",
                    {
                        "export": export,
                        "profile_rows": list(
                            zip(
                                (h for _n, h in export.profile.columns),
                                export.profile.texts[0],
                                strict=True,
                            )
                        ),
                    },
                ).encode()
        if output:
            Path(output).write_bytes(data)
            self.stderr.write(f"Wrote {output}")
        else:
            self.stdout.write(data.decode(), ending="\n")

    def _erase(self, customer: Customer, reason: str, yes: bool) -> None:
        if not yes:
            answer = input(f"Erase the personal data of {customer.number} for good? [y/N] ")
            if answer.strip().lower() not in ("y", "yes"):
                raise CommandError("Nothing was erased.")
        try:
            erasure = services.customer_erase(by=COMMAND_LINE, customer=customer, reason=reason)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        total = sum(erasure.report.values())
        self.stdout.write(f"Erased {erasure.number}: {total} rows deleted or redacted.")

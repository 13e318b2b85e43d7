"""One writer per table: a customer created on the page, through the API and by an import are the
same rows — profile, derived names, search terms, contact details, tags, and the history row."""

from django.urls import reverse

from rapport.api.tests.helpers import API, token_client
from rapport.core.models import ObjectChange
from rapport.customers.models import (
    Customer,
    CustomerAddress,
    CustomerEmail,
    CustomerPhone,
    CustomerSearchTerm,
)

PERSON = {
    "family_name": "Novák",
    "given_name": "Ján",
    "gender": "male",
    "birthday": "1980-03-05",
    "occupation": "teacher",
    "income_band": "middle",
    "preferred_language": "sk",
    "preferred_channel": "email",
    "customer_since": "2024-01-15",
    "source": "website",
    "hobbies": "fishing",
    "notes": "Prefers mornings.",
}
PHONE, EMAIL, TAGS = "0905 123 456", "Jan.Novak@Example.sk", ["VIP", "Bratislava"]


def _rows(customer: Customer) -> dict:
    """Everything the writer wrote for the customer, without ids and times."""
    row = Customer.objects.filter(pk=customer.pk).values().get()
    for key in ("id", "created_at", "updated_at", "created_by_id"):
        row.pop(key)
    history = ObjectChange.objects.get(customer_id=customer.pk, action="create")
    changes = dict(history.changes)
    changes.pop("origin", None)  # where it came from: the import says so, the others not
    return {
        "customer": row,
        "phones": list(
            CustomerPhone.objects.filter(customer=customer).values_list(
                "number", "kind", "is_primary"
            )
        ),
        "emails": list(
            CustomerEmail.objects.filter(customer=customer).values_list("address", "is_primary")
        ),
        "addresses": list(
            CustomerAddress.objects.filter(customer=customer).values_list("kind", "line1", "city")
        ),
        "tags": sorted(customer.tags.values_list("name", flat=True)),
        "terms": sorted(
            CustomerSearchTerm.objects.filter(customer=customer).values_list("term", flat=True)
        ),
        "history": (history.user_name, history.object_repr, changes),
    }


def test_page_api_and_import_write_the_same_rows(manager, manager_client, tmp_path, settings):
    settings.RAPPORT_DEFAULT_REGION = "SK"
    # The importer first (a later import would match the others by email and update them).
    from rapport.imports import services as imports

    path = tmp_path / "people.csv"
    header = [*PERSON, "phone", "email", "address", "city", "tags"]
    values = [*PERSON.values(), PHONE, EMAIL, "Hlavná 1", "Bratislava", "; ".join(TAGS)]
    path.write_text(",".join(header) + "\n" + ",".join(values) + "\n", encoding="utf-8")
    job = imports.import_job_create(kind="customers", path=path, by=manager)
    job = imports.import_job_run(job_id=job.pk)
    assert job.status == "done", job.errors
    imported = Customer.objects.get()
    Customer.objects.filter(pk=imported.pk).update(external_id="FILE")

    # The page.
    response = manager_client.post(
        reverse("customers:create"),
        {
            **PERSON,
            "phones": PHONE,
            "emails": EMAIL,
            "address": "Hlavná 1",
            "city": "Bratislava",
            "tags": ", ".join(TAGS),
        },
    )
    assert response.status_code == 302, response.content
    on_page = Customer.objects.exclude(pk=imported.pk).get()
    Customer.objects.filter(pk=on_page.pk).update(external_id="PAGE")

    # The API.
    response = token_client(manager).post(
        f"{API}/customers",
        {
            **PERSON,
            "phones": [PHONE],
            "emails": [EMAIL],
            "addresses": [{"line1": "Hlavná 1", "city": "Bratislava"}],
            "tags": TAGS,
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    by_api = Customer.objects.get(pk=response.json()["id"])
    Customer.objects.filter(pk=by_api.pk).update(external_id="API")

    page, api, file = _rows(on_page), _rows(by_api), _rows(imported)
    for rows in (page, api, file):
        rows["customer"].pop("external_id")
        rows["history"][2].pop("external_id", None)
    assert page == api == file
    assert page["customer"]["display_name"] == "Ján Novák"
    assert page["phones"] == [("+421905123456", "mobile", True)]
    assert page["emails"] == [("jan.novak@example.sk", True)]
    assert {"nov", "novak", "jan"} <= set(page["terms"])
    assert page["history"][2]["family_name"] == [None, "Novák"]

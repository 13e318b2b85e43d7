import pytest

from rapport.core.pagination import decode_cursor, keyset_page
from rapport.customers.models import Customer


@pytest.mark.django_db
@pytest.mark.parametrize("ordering", [["-id"], ["sort_name", "id"]])
def test_keyset_pages_cover_every_row_once(make_customer, ordering):
    names = ["Zed", "Amy", "Bob", "Amy", "Eve", "Dan", "Amy", "Cy", "Fay", "Gus", "Hal"]
    for n in names:
        make_customer(family_name="Smith", given_name=n)
    seen, cursor = [], None
    while True:
        page = keyset_page(Customer.objects.all(), ordering=ordering, cursor=cursor, size=3)
        seen.extend(c.pk for c in page.items)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    expected = list(Customer.objects.order_by(*ordering).values_list("pk", flat=True))
    assert seen == expected


def test_garbage_cursor_is_ignored():
    assert decode_cursor("%%%") is None
    assert decode_cursor("") is None

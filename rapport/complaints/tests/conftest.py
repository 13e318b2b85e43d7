import pytest


def ensure_builtins() -> None:
    """The built-in departments and causes (a transactional test before this one may have
    flushed what the migrations wrote)."""
    from rapport.complaints import builtin
    from rapport.staff.models import Department

    for code in ("customer_service", "logistics", "quality", "sales"):
        Department.objects.get_or_create(code=code)
    builtin.ensure_causes()


@pytest.fixture
def department(db):
    from rapport.staff.models import Department

    ensure_builtins()
    return Department.objects.get(code="quality")


@pytest.fixture
def dept_user(make_user, department):
    user = make_user("department")
    department.members.add(user)
    return user


@pytest.fixture
def admin_user(make_user):
    return make_user("administrator")


@pytest.fixture
def complaint_factory(make_customer, agent):
    from rapport.complaints.services import complaint_record

    def make(**fields):
        customer = fields.pop("customer", None) or make_customer(emails=["ann@example.com"])
        by = fields.pop("by", agent)
        data = {
            "channel": "phone",
            "category": "product_quality",
            "description": "The kettle leaks after a week.",
        }
        data.update(fields)
        return complaint_record(by=by, customer_id=customer.pk, **data)

    return make

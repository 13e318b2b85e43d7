import pytest

from rapport.imports.mapping import map_columns, normalize_header, parse_overrides, target_for


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("family_name", "family_name"),
        ("Last name", "family_name"),
        ("  SURNAME ", "family_name"),
        ("Last-Name", "family_name"),
        ("姓", "family_name"),
        ("姓氏", "family_name"),
        ("Priezvisko", "family_name"),
        ("First Name", "given_name"),
        ("名字", "given_name"),
        ("meno", "given_name"),
        ("姓名", "name"),
        ("phone", "phone"),
        ("Mobile", "phone"),
        ("电话", "phone"),
        ("手机", "phone"),
        ("電話", "phone"),
        ("手機", "phone"),
        ("telefón", "phone"),
        ("Telefon", "phone"),
        ("phone 2", "phone"),
        ("手机2", "phone"),
        ("E-Mail", "email"),
        ("邮箱", "email"),
        ("電子郵件", "email"),
        ("email_3", "email"),
        ("Tags", "tags"),
        ("标签", "tags"),
        ("性别", "gender"),
        ("生日", "birthday"),
        ("Dátum narodenia", "birthday"),
    ],
)
def test_customer_aliases(header, field):
    assert target_for("customers", header).field == field


def test_numbers_only_extend_fields_that_repeat():
    assert target_for("customers", "surname2") is None
    assert normalize_header(" E-mail Address ") == "emailaddress"


def test_unknown_columns_are_reported_and_ignored():
    plan = map_columns("customers", ["Surname", "Favourite colour", "", "phone", "Mobile"])
    assert plan.columns == [(0, "family_name"), (3, "phone"), (4, "phone")]
    assert plan.unknown == ["Favourite colour"]
    assert plan.problems == []
    assert plan.header_for("phone") == "phone"


def test_user_overrides_win():
    plan = map_columns("customers", ["Handy", "Surname", "Notes"], {"handy": "phone", "Notes": ""})
    assert plan.columns == [(0, "phone"), (1, "family_name")]
    assert plan.unknown == [] and plan.problems == []


def test_override_to_a_field_that_does_not_exist():
    plan = map_columns("customers", ["X"], {"X": "shoe_size"})
    assert plan.problems and plan.problems[0][0] == "X" and "shoe_size" in plan.problems[0][1]


def test_two_columns_for_one_field_is_a_problem():
    plan = map_columns("customers", ["Surname", "Last name"])
    assert len(plan.problems) == 1 and plan.problems[0][0] == "Last name"


def test_required_columns():
    plan = map_columns("orders", ["order number", "sku"])
    assert [p[1] for p in plan.problems] == ["The file has no column for the field “customer”."]
    assert map_columns("orders", ["订单号", "客户", "货号", "数量"]).problems == []


@pytest.mark.parametrize(
    ("kind", "header", "field"),
    [
        ("organisations", "公司名称", "name"),
        ("organisations", "Company", "name"),
        ("organisations", "DIČ", "tax_id"),
        ("products", "货号", "sku"),
        ("products", "Kód produktu", "sku"),
        ("products", "售价", "price"),
        ("orders", "訂單編號", "number"),
        ("orders", "Zľava", "discount"),
        ("orders", "促销码", "promotion_code"),
    ],
)
def test_other_kinds(kind, header, field):
    assert target_for(kind, header).field == field


def test_parse_overrides():
    assert parse_overrides(["Handy = phone", "", "Notes ="]) == {"Handy": "phone", "Notes": ""}
    with pytest.raises(ValueError):
        parse_overrides(["Handy phone"])

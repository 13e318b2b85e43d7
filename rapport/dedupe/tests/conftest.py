"""The duplicate finder's tests share these customers: each hard kind of duplicate once."""

import datetime as dt

import pytest


@pytest.fixture
def people(make_customer):
    return {
        "wang": make_customer(family_name="王", given_name="小明", birthday=dt.date(1985, 6, 1)),
        "wang_trad": make_customer(
            family_name="王", given_name="曉明", birthday=dt.date(1985, 6, 1)
        ),
        "zhang": make_customer(family_name="张", given_name="伟", emails=["zw@example.cn"]),
        "zhang_py": make_customer(family_name="Zhang", given_name="Wei", emails=["zw@example.cn"]),
        "jan": make_customer(family_name="Novák", given_name="Ján", phones=["+421905123456"]),
        "jan2": make_customer(family_name="Novak", given_name="Jan", phones=["+421905123456"]),
        "eva": make_customer(
            family_name="Kováčová", given_name="Eva", birthday=dt.date(1970, 1, 2)
        ),
    }

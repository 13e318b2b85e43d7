"""Address books from other systems import without hand work: Outlook's and Google Contacts'
CSV exports and vCard files (versions 3 and 4)."""

from datetime import date

import pytest

from rapport.core.calendar import YEAR_UNKNOWN
from rapport.customers.models import Customer
from rapport.imports.choices import ImportStatus
from rapport.imports.mapping import map_columns
from rapport.imports.values import AmbiguousDate, parse_date, split_list

pytestmark = pytest.mark.django_db

OUTLOOK = [
    "First Name",
    "Middle Name",
    "Last Name",
    "Birthday",
    "Gender",
    "E-mail Address",
    "E-mail 2 Address",
    "Mobile Phone",
    "Home Phone",
    "Business Phone",
    "Home Street",
    "Home City",
    "Home Postal Code",
    "Home Country/Region",
    "Job Title",
    "Categories",
    "Notes",
    "E-mail Display Name",
]
GOOGLE = [
    "Name",
    "Given Name",
    "Family Name",
    "Birthday",
    "Notes",
    "Group Membership",
    "E-mail 1 - Type",
    "E-mail 1 - Value",
    "Phone 1 - Type",
    "Phone 1 - Value",
    "Phone 2 - Type",
    "Phone 2 - Value",
    "Address 1 - City",
    "Address 1 - Country",
]


def test_outlook_and_google_headers_map_by_themselves():
    outlook = map_columns("customers", OUTLOOK)
    assert {OUTLOOK[i]: f for i, f in outlook.columns} == {
        "First Name": "given_name",
        "Last Name": "family_name",
        "Birthday": "birthday",
        "Gender": "gender",
        "E-mail Address": "email",
        "E-mail 2 Address": "email",
        "Mobile Phone": "phone",
        "Home Phone": "home_phone",
        "Business Phone": "work_phone",
        "Home Street": "address",
        "Home City": "city",
        "Home Postal Code": "postal_code",
        "Home Country/Region": "country",
        "Job Title": "occupation",
        "Categories": "tags",
        "Notes": "notes",
    }
    assert outlook.unknown == ["Middle Name", "E-mail Display Name"] and not outlook.problems
    google = map_columns("customers", GOOGLE)
    assert {GOOGLE[i]: f for i, f in google.columns} == {
        "Name": "name",
        "Given Name": "given_name",
        "Family Name": "family_name",
        "Birthday": "birthday",
        "Notes": "notes",
        "Group Membership": "tags",
        "E-mail 1 - Value": "email",
        "Phone 1 - Value": "phone",
        "Phone 2 - Value": "phone",
        "Address 1 - City": "city",
        "Address 1 - Country": "country",
    }
    assert not google.problems


def test_birthdays_in_the_forms_address_books_write(settings):
    assert parse_date("5/14/1985") == date(1985, 5, 14)  # Outlook, month first
    assert parse_date("14/5/1985") == date(1985, 5, 14)  # day first, where the numbers say so
    assert parse_date("3/3/1990") == date(1990, 3, 3)
    assert parse_date("0/0/00") is None  # Outlook's "no birthday"
    assert parse_date("--07-21") == date(YEAR_UNKNOWN, 7, 21)  # Google, no year
    assert parse_date("--0721") == date(YEAR_UNKNOWN, 7, 21)  # vCard 4
    with pytest.raises(AmbiguousDate) as exc:
        parse_date("5/6/1985")
    assert "1985-05-14" in str(exc.value) and "14.5.1985" in str(exc.value)


def test_several_values_in_one_cell_as_google_writes_them():
    assert split_list("+86 138 0013 8000 ::: +86 139 0013 9000") == [
        "+86 138 0013 8000",
        "+86 139 0013 9000",
    ]


def test_outlook_file_imports(write_csv, run_import):
    row = ["Jana", "M.", "Nováková", "5/14/1985", "Unspecified", "jana@example.sk", ""]
    row += ["+421 905 123 456", "", "+421 2 5443 1234", "", "Bratislava", "", "Slovakia"]
    row += ["Teacher", "VIP", "Likes green tea", "Jana"]
    empty = ["Peter", "", "Kováč", "0/0/00", "Male", "", "", "+421 905 654 321"] + [""] * 10
    job = run_import("customers", write_csv([OUTLOOK, row, empty]))
    assert job.status == ImportStatus.DONE, job.errors
    jana = Customer.objects.get(family_name="Nováková")
    assert (jana.given_name, jana.birthday, jana.gender, jana.occupation) == (
        "Jana",
        date(1985, 5, 14),
        "",
        "Teacher",
    )
    assert [(a.line1, a.city, a.country) for a in jana.addresses.all()] == [
        ("", "Bratislava", "SK")
    ]
    assert {p.kind for p in jana.phones.all()} == {"mobile", "work"}
    assert Customer.objects.get(family_name="Kováč").birthday is None


def test_google_file_imports_several_phones_and_a_birthday_without_year(write_csv, run_import):
    row = ["王小明", "小明", "王", "--07-21", "", "* myContacts ::: 老客户"]
    row += ["* Home", "xm@example.cn ::: wang@example.cn"]
    row += ["Mobile", "138 0013 8000 ::: 139 0013 9000", "Work", "", "深圳", "中国"]
    job = run_import("customers", write_csv([GOOGLE, row]))
    assert job.status == ImportStatus.DONE, job.errors
    wang = Customer.objects.get(family_name="王")
    assert wang.birthday == date(YEAR_UNKNOWN, 7, 21) and wang.age is None
    assert sorted(p.number for p in wang.phones.all()) == ["+8613800138000", "+8613900139000"]
    assert sorted(e.address for e in wang.emails.all()) == ["wang@example.cn", "xm@example.cn"]
    assert [t.name for t in wang.tags.all()] == ["老客户"]


def test_an_ambiguous_date_names_the_accepted_forms(write_csv, run_import):
    job = run_import("customers", write_csv([["name", "birthday"], ["Ján Novák", "5/6/1985"]]))
    assert job.status != ImportStatus.DONE
    (error,) = job.errors
    assert error["column"] == "birthday" and "1985-05-14" in error["message"]


VCARDS = """BEGIN:VCARD
VERSION:4.0
FN:Jana Nováková
N:Nováková;Jana;;;
TEL;TYPE=cell:+421 905 123 456
TEL;VALUE=uri;TYPE="voice,home":tel:+421-2-5443-1234
EMAIL;TYPE=work:jana@example.sk
BDAY:--0721
ADR;TYPE=home:;;Hlavná 1;Bratislava;;81101;Slovakia
NOTE:Likes green tea\\, not black
END:VCARD
BEGIN:VCARD
VERSION:3.0
N:王;小明;;;
FN:王小明
TEL;TYPE=CELL:138 0013 8000
TEL;TYPE=WORK,VOICE:0755-8888 6666
EMAIL;TYPE=INTERNET:xm@example.cn
BDAY:1985-05-14
ADR;TYPE=HOME:;;;深圳;广东;;中国
CATEGORIES:老客户,茶
TITLE:Engineer
END:VCARD
"""


def test_vcard_file_imports(tmp_path, run_import):
    path = tmp_path / "contacts.vcf"
    path.write_text(VCARDS, encoding="utf-8")
    job = run_import("customers", path)
    assert job.status == ImportStatus.DONE, job.errors
    jana = Customer.objects.get(family_name="Nováková")
    assert jana.given_name == "Jana" and jana.birthday == date(YEAR_UNKNOWN, 7, 21)
    assert sorted((p.number, p.kind) for p in jana.phones.all()) == [
        ("+421254431234", "home"),
        ("+421905123456", "mobile"),
    ]
    assert jana.notes == "Likes green tea, not black"
    assert str(jana.addresses.get()) == "Hlavná 1, Bratislava, 81101"
    wang = Customer.objects.get(family_name="王")
    assert (wang.birthday, wang.occupation) == (date(1985, 5, 14), "Engineer")
    assert sorted(t.name for t in wang.tags.all()) == ["老客户", "茶"]
    assert wang.addresses.get().city == "深圳"


# A phone's card (v3) and a mail program's (v4), each with two addresses, three phones and two
# emails: every one of them is kept, not only the first.
SEVERAL = {
    "3.0": """BEGIN:VCARD
VERSION:3.0
N:Horváth;Peter;;;
FN:Peter Horváth
TEL;TYPE=CELL:+421 905 111 222
TEL;TYPE=HOME,VOICE:+421 2 5443 1234
TEL;TYPE=WORK,VOICE:+421 2 5443 9876
EMAIL;TYPE=INTERNET,HOME:peter@example.sk
EMAIL;TYPE=INTERNET,WORK:horvath@firma.sk
ADR;TYPE=HOME:;;Hlavná 1;Bratislava;;81101;Slovakia
ADR;TYPE=WORK:;Budova B;Mlynské nivy 5;Bratislava;;82109;Slovakia
END:VCARD
""",
    "4.0": """BEGIN:VCARD
VERSION:4.0
N:陳;美玲;;;
FN:陳美玲
TEL;VALUE=uri;TYPE="cell,voice";PREF=1:tel:+886-912-345-678
TEL;VALUE=uri;TYPE="home,voice":tel:+886-2-2345-6789
TEL;VALUE=uri;TYPE="work,voice":tel:+886-2-8765-4321
EMAIL;TYPE=home;PREF=1:meiling@example.tw
EMAIL;TYPE=work:chen@company.tw
ADR;TYPE=home;LABEL="台北市信義路五段7號":;;信義路五段7號;台北市;;110;Taiwan
ADR;TYPE=work:;;;新竹市;;;Taiwan
END:VCARD
""",
}


@pytest.mark.parametrize("version", sorted(SEVERAL))
def test_every_address_phone_and_email_of_a_card_is_kept(version, tmp_path, run_import):
    path = tmp_path / "several.vcf"
    path.write_text(SEVERAL[version], encoding="utf-8")
    job = run_import("customers", path)
    assert job.status == ImportStatus.DONE, job.errors
    person = Customer.objects.get()
    addresses = sorted((a.line1, a.city, a.postal_code, a.country) for a in person.addresses.all())
    phones = sorted(p.kind for p in person.phones.all())
    emails = sorted(e.address for e in person.emails.all())
    if version == "3.0":
        assert addresses == [
            ("Hlavná 1", "Bratislava", "81101", "SK"),
            ("Mlynské nivy 5, Budova B", "Bratislava", "82109", "SK"),
        ]
        assert emails == ["horvath@firma.sk", "peter@example.sk"]
    else:
        assert addresses == [("", "新竹市", "", "TW"), ("信義路五段7號", "台北市", "110", "TW")]
        assert emails == ["chen@company.tw", "meiling@example.tw"]
    assert phones == ["home", "mobile", "work"]

    # The same card again, now with a third address: the customer it matches gains that one.
    path.write_text(
        SEVERAL[version].replace(
            "END:VCARD", "ADR;TYPE=other:;;Nová 9;Košice;;04001;Slovakia\nEND:VCARD"
        ),
        encoding="utf-8",
    )
    job = run_import("customers", path)
    assert job.status == ImportStatus.DONE, job.errors
    assert Customer.objects.get() == person
    assert person.addresses.count() == 3
    assert person.addresses.filter(line1="Nová 9", city="Košice").exists()

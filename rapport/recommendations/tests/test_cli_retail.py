"""`rapport recommend evaluate --csv …` on a file shaped like a real retail export (the UCI Online
Retail layout): invoice numbers with "C" for cancellations and negative quantities for returns,
product codes of mixed types, customer ids written as floats, US dates with times, Latin-1 text,
rows without a customer. It prints one JSON object, and counts exactly the customers with
purchases on both sides of the split."""

import json
from io import StringIO

from django.core.management import call_command

HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\r\n"


def _row(invoice, code, quantity, date, customer, description="WHITE HANGING HEART"):
    return f'{invoice},{code},"{description}, T-LIGHT",{quantity},{date},2.55,{customer},United Kingdom\r\n'


def _retail_file(path):
    rows = []
    invoice = 536365
    for i in range(1, 21):  # before the split: everyone buys the heart and the 71053 lantern
        customer = f"{12000 + i}.0"  # pandas writes the ids as floats
        rows.append(_row(invoice, "85123A", 6, "3/14/2025 8:26", customer))
        rows.append(_row(invoice, 71053 if i % 2 else "71053.0", 6, "3/14/2025 8:26", customer))
        if i % 2 == 0:
            rows.append(_row(invoice, " 84406b ", 8, "4/20/2025 9:05", customer))
        invoice += 1
    for i in range(1, 11):  # after: ten of them buy a new product
        rows.append(_row(invoice, 22752, 2, "7/15/2025 10:30", f"{12000 + i}.0"))
        invoice += 1
    # 12011 buys after the split and returns all of it: no purchase in the test period
    rows.append(_row(invoice, 21730, 3, "7/16/2025 11:00", "12011.0"))
    rows.append(_row(f"C{invoice}", 21730, -3, "7/18/2025 12:15", "12011.0"))
    rows.append(_row(invoice + 1, 22752, 1, "7/20/2025 13:45", "12012"))  # the id without ".0"
    rows.append(_row(invoice + 2, 22752, 1, "8/02/2025 14:00", "13000.0"))  # only after: no
    rows.append(_row(invoice + 3, "POST", 1, "8/03/2025 15:00", ""))  # no customer: skipped
    text = HEADER + "".join(rows)
    path.write_bytes(text.replace("HEART", "HEART £").encode("latin-1"))


def test_evaluate_prints_one_json_object_for_a_retail_export(tmp_path):
    path = tmp_path / "Online Retail.csv"
    _retail_file(path)
    out, err = StringIO(), StringIO()
    call_command(
        "recommend", "evaluate", "--csv", str(path), "--customer", "CustomerID",
        "--date", "InvoiceDate", "--product", "StockCode", "--split-date", "2025-07-01",
        stdout=out, stderr=err,
    )  # fmt: skip
    lines = out.getvalue().splitlines()
    assert len(lines) == 1  # one JSON object and nothing else
    result = json.loads(lines[0])
    keys = {"precision_at_k", "recall_at_k", "ndcg_at_k", "coverage"}
    assert set(result) == {"model", "popularity", "chosen", "customers_evaluated"}
    assert set(result["model"]) == keys == set(result["popularity"])
    # 12001–12010 and 12012 (written "12012" once and "12012.0" before); not 12011 (returned
    # everything), not 13000 (nothing before the split)
    assert result["customers_evaluated"] == 11
    assert all(0 <= v <= 1 for v in result["model"].values())

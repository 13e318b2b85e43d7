"""Survey answers by file: headers in any of the four languages, all or nothing with each row's
error, the gap and label computed, Rapport's own export imports again, a second import adds
nothing, and no follow-up or mail for history."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from rapport.surveys.models import Answer, FollowUp, Invitation, Response

pytestmark = pytest.mark.django_db


def test_answers_import_in_chinese_with_gap_and_label(survey, make_customer, tmp_path, mailoutbox):
    c = make_customer(emails=["imp@example.com"])
    quality = survey.questions.get(attribute="quality", kind="paired")
    path = tmp_path / "answers.csv"
    path.write_text(
        "问卷,客户编号,问题,答案,期望,实际,日期\n"
        f"{survey.name},C{c.pk:07d},{quality.pk},,6,3,2025-02-28 10:00\n"
        f"{survey.name},C{c.pk:07d},Overall satisfaction,2,,,2025-02-28 10:00\n"
        f"{survey.name},C{c.pk:07d},送貨,,4,4,2025-02-28 10:00\n",
        encoding="utf-8",
    )
    call_command("import", "survey_answers", str(path))
    rows = {a.attribute or a.kind: a for a in Answer.objects.all()}
    assert (rows["quality"].gap, rows["quality"].label) == (-3, "dissatisfied")
    assert (rows["delivery"].gap, rows["delivery"].label) == (0, "satisfied")
    assert rows["scale_5"].value == 2 and rows["scale_5"].measure == "csat"
    assert str(rows["quality"].month) == "2025-02-01"
    assert Response.objects.count() == 1  # one survey, customer and time: one response
    assert not FollowUp.objects.exists() and not mailoutbox  # history: nothing opened or sent
    call_command("import", "survey_answers", str(path))  # again: nothing added
    assert Answer.objects.count() == 3 and Invitation.objects.count() == 1


def test_one_bad_row_and_nothing_is_imported(survey, make_customer, tmp_path):
    c = make_customer(emails=["bad@example.com"])
    path = tmp_path / "answers.csv"
    path.write_text(
        "survey,customer,question,value,expectation,experience,answered_at\n"
        f"{survey.pk},C{c.pk:07d},quality,,5,5,2024-02-29 09:00\n"
        f"{survey.pk},C{c.pk:07d},quality,,9,5,2024-02-29 10:00\n"  # 9 is off a 1–7 scale
        f"{survey.pk},C9999999,delivery,,5,5,2024-02-29 09:00\n"  # no such customer
        f"nope,C{c.pk:07d},delivery,,5,5,2024-02-29 09:00\n",  # no such survey
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as failed:
        call_command("import", "survey_answers", str(path))
    assert "has errors" in str(failed.value)
    from rapport.imports.models import ImportJob

    errors = ImportJob.objects.get().errors
    assert sorted((e["row"], e["column"]) for e in errors) == [
        (3, "expectation"),
        (4, "customer"),
        (5, "survey"),
    ]
    assert not Answer.objects.exists() and not Invitation.objects.exists()


def test_the_export_imports_again(survey, make_customer, tmp_path, consenting, invite_and_link):
    from rapport.core.registry import export_kind
    from rapport.surveys import services
    from rapport.surveys.tests.conftest import answers_for

    invitation, _t = invite_and_link(survey, consenting())
    services.response_submit(
        invitation_id=invitation.pk, answers=answers_for(survey, text="Fine"), by=None
    )
    spec = export_kind("survey_answers")
    lines = [",".join(spec.columns)]
    for row in spec.rows(spec.queryset({})):
        lines.append(",".join("" if v is None else str(v) for v in row))
    before = sorted(
        Answer.objects.values_list("question_id", "value", "expectation", "experience", "gap")
    )
    Answer.objects.all().delete()
    Response.objects.all().delete()
    path = tmp_path / "export.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    call_command("import", "survey_answers", str(path))
    after = sorted(
        Answer.objects.values_list("question_id", "value", "expectation", "experience", "gap")
    )
    assert after == before

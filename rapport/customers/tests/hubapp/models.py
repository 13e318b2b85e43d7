from django.db import models

from rapport.core.relations import (
    Custom,
    DedupeBy,
    Erase,
    Export,
    KeepOne,
    Repoint,
    customer_relation,
)


@customer_relation(
    "customer",
    merge=Custom("rapport.customers.tests.hubapp.merging:add_up_points"),
    export=Export("points", label="loyalty account"),
    erase=Erase.delete(),
)
class LoyaltyAccount(models.Model):
    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, related_name="loyalty_account"
    )
    points = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.points}"


@customer_relation(
    "customer",
    merge=KeepOne(prefer="newest:opened_at"),
    export=Export("card_number", label="member card"),
    erase=Erase.delete(),
)
class MemberCard(models.Model):
    customer = models.OneToOneField(
        "customers.Customer", on_delete=models.CASCADE, related_name="member_card"
    )
    card_number = models.CharField(max_length=20)
    opened_at = models.DateField()

    def __str__(self) -> str:
        return self.card_number


@customer_relation(
    "audience",
    merge=Repoint(),
    export=Export("name", label="campaigns"),
    erase=Erase.delete(),
)
class Campaign(models.Model):
    name = models.CharField(max_length=50)
    audience = models.ManyToManyField("customers.Customer", related_name="+")

    def __str__(self) -> str:
        return self.name


@customer_relation(
    "customer",
    merge=DedupeBy("survey", prefer="newest:answered_at"),
    export=Export("survey", "score", label="survey answers"),
    erase=Erase.delete(),
)
class SurveyAnswer(models.Model):
    survey = models.CharField(max_length=20)
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="+")
    score = models.IntegerField()
    answered_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "customer"], name="hubtest_one_answer")
        ]

    def __str__(self) -> str:
        return f"{self.survey}: {self.score}"


@customer_relation(
    "customer_id",
    merge=Repoint(),
    export=Export("note", label="notes"),
    erase=Erase.redacting(note=""),
)
class PlainNote(models.Model):
    """A plain customer_id column (no foreign key), like the history's."""

    customer_id = models.BigIntegerField()
    note = models.CharField(max_length=50)

    def __str__(self) -> str:
        return self.note

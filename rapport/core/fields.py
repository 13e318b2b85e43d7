"""Field types every app uses the same way."""

from typing import Any

from django.db import models

MONEY_DIGITS = 16  # 14 before the decimal point: more than any shop's yearly turnover in fen
MONEY_PLACES = 2


class MoneyField(models.DecimalField):
    """An amount of money: 16 digits, 2 after the point, everywhere (orders, remedies, rewards,
    analytics) — so a sum that fits in one table fits in the next."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", MONEY_DIGITS)
        kwargs.setdefault("decimal_places", MONEY_PLACES)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        if kwargs.get("max_digits") == MONEY_DIGITS:
            del kwargs["max_digits"]
        if kwargs.get("decimal_places") == MONEY_PLACES:
            del kwargs["decimal_places"]
        return name, "rapport.core.fields.MoneyField", args, kwargs


def concrete_field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    """The model's own field `name` (not a reverse relation); TypeError if it is one."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{model.__name__}.{name} is not a field of the model's own")
    return field


def many_to_many_field(model: type[models.Model], name: str) -> models.ManyToManyField[Any, Any]:
    field = model._meta.get_field(name)
    if not isinstance(field, models.ManyToManyField):
        raise TypeError(f"{model.__name__}.{name} is not a many-to-many field")
    return field

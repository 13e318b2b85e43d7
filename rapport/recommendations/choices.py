from django.db import models
from django.utils.translation import gettext_lazy as _


class Reason(models.TextChoices):
    BOUGHT_WITH = "bought_with", _("bought with another of their products")
    SIMILAR_CUSTOMERS = "similar_customers", _("customers like them bought it")
    POPULAR = "popular", _("popular with all customers")
    BUY_AGAIN = "buy_again", _("a consumable they buy again")


class Method(models.TextChoices):
    ITEM_TO_ITEM = "item_to_item", _("products bought together (item-to-item)")
    ALS = "als", _("customers with similar purchases (matrix factorisation)")
    POPULARITY = "popularity", _("most popular products")

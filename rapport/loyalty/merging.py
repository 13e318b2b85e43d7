from rapport.core.relations import CustomerRelation


def merge_accounts(relation: CustomerRelation, ctx) -> None:
    """Two membership accounts become one: the kept customer's (its code and tier stay; the
    ledger entries are re-pointed, so the balance is both balances). Without one, the other
    customer's account moves over."""
    from rapport.loyalty.models import LoyaltyAccount

    theirs = LoyaltyAccount.objects.filter(customer_id=ctx.other_id).first()
    if theirs is None:
        return
    mine = LoyaltyAccount.objects.filter(customer_id=ctx.survivor_id).first()
    if mine is None:
        LoyaltyAccount.objects.filter(pk=theirs.pk).update(customer_id=ctx.survivor_id)
        ctx.repointed(LoyaltyAccount, [theirs.pk])
        return
    ctx.archive([theirs])

from rapport.core.relations import CustomerRelation


def add_up_points(relation: CustomerRelation, ctx) -> None:
    """Two loyalty accounts become one: the kept customer's, holding both balances; the other
    account is archived in the merge record (undo puts it back)."""
    from rapport.customers.tests.hubapp.models import LoyaltyAccount

    theirs = LoyaltyAccount.objects.filter(customer_id=ctx.other_id).first()
    if theirs is None:
        return
    mine = LoyaltyAccount.objects.filter(customer_id=ctx.survivor_id).first()
    if mine is None:
        LoyaltyAccount.objects.filter(pk=theirs.pk).update(customer_id=ctx.survivor_id)
        ctx.repointed(LoyaltyAccount, [theirs.pk])
        return
    ctx.remember([mine])  # the balance as it was, for an undo
    LoyaltyAccount.objects.filter(pk=mine.pk).update(points=mine.points + theirs.points)
    ctx.archive([theirs])

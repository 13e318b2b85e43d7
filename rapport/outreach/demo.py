"""Demo data for keeping in touch: an event this week with invitations, a birthday campaign with
a coupon (active: `rapport campaigns run-due` sends it), a newsletter draft."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from random import Random

from django.utils import timezone


def run(ctx) -> dict[str, int]:
    from rapport.outreach import services

    if not ctx.customer_ids:
        return {}
    from rapport.outreach.models import Coupon

    rng = Random(ctx.seed)
    code = f"BDAY{ctx.seed % 1000:03d}"
    coupon = Coupon.objects.filter(code=code).first() or services.coupon_create(
        by=ctx.by,
        code=code,
        name="Birthday 15 %",
        percent=Decimal("15"),
        valid_from=ctx.today,
        valid_until=ctx.today + timedelta(days=365),
    )
    birthday = services.campaign_create(
        by=ctx.by,
        name="Birthday greetings",
        schedule="before_birthday",
        days=3,
        coupon_id=coupon.pk,
        messages=[
            {
                "language": "en",
                "subject": "Happy birthday, {{ name }}!",
                "body": "Dear {{ given_name }},\n\nhappy birthday on {{ next_birthday }}! "
                "Treat yourself: {{ coupon_value }} off with the code {{ coupon_code }}.",
            },
            {
                "language": "zh-hans",
                "subject": "{{ name }}，生日快乐！",
                "body": "亲爱的{{ name }}：\n\n祝您{{ next_birthday }}生日快乐！"
                "凭优惠码 {{ coupon_code }} 可享 {{ coupon_value }} 优惠。",
            },
            {
                "language": "zh-hant",
                "subject": "{{ name }}，生日快樂！",
                "body": "親愛的{{ name }}：\n\n祝您{{ next_birthday }}生日快樂！"
                "憑優惠碼 {{ coupon_code }} 可享 {{ coupon_value }} 優惠。",
            },
            {
                "language": "sk",
                "subject": "Všetko najlepšie, {{ name }}!",
                "body": "Milý/á {{ given_name }},\n\nvšetko najlepšie k narodeninám {{ next_birthday }}! "
                "S kódom {{ coupon_code }} máte zľavu {{ coupon_value }}.",
            },
        ],
    )
    services.campaign_set_state(by=ctx.by, campaign_id=birthday.pk, state="active")
    starts = timezone.make_aware(datetime.combine(ctx.today + timedelta(days=4), time(18, 30)))
    event = services.event_create(
        by=ctx.by, name="Customer club evening", kind="club", starts_at=starts, place="Showroom"
    )
    invited = rng.sample(ctx.customer_ids, min(12, len(ctx.customer_ids)))
    for customer_id in invited:
        services.invite(event_id=event.pk, customer_id=customer_id, by=ctx.by)
    services.campaign_create(
        by=ctx.by,
        name="Newsletter: spring",
        kind="newsletter",
        messages=[
            {"language": "en", "subject": "Spring news", "body": "What is new this spring."},
            {"language": "zh-hans", "subject": "春季简讯", "body": "本季新品与活动。"},
            {"language": "sk", "subject": "Jarné novinky", "body": "Čo je nové na jar."},
        ],
    )
    return {"campaigns": 2, "coupons": 1, "event invitations": len(invited)}

"""Each business area's router, mounted under /api/v1/."""

from ninja import NinjaAPI


def register_routers(api: NinjaAPI) -> None:
    pass

"""Staff accounts, roles and API tokens."""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from rapport.core.registry import role_grants
from rapport.staff.models import ApiToken, hash_key
from rapport.staff.roles import ROLE_PERMISSIONS, rapport_apps


def roles_sync() -> None:
    """Create the role groups and give each exactly the permissions roles.py lists, plus those the
    installed apps grant it (rapport.core.registry.register_role_permissions)."""
    perms = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type")
    }
    apps_of_ours = rapport_apps()
    for role, base in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted: set[Permission] = set()
        specs = [base, *role_grants(role)]
        for model, actions in ((m, a) for spec in specs for m, a in spec.items()):
            if model == "extra":
                wanted.update(perms[c] for c in actions if c in perms)
            elif model == "*":
                wanted.update(
                    p
                    for key, p in perms.items()
                    if key.split(".")[0] in apps_of_ours and p.codename.split("_")[0] in actions
                )
            else:
                app, name = model.split(".")
                wanted.update(
                    perms[f"{app}.{a}_{name}"] for a in actions if f"{app}.{a}_{name}" in perms
                )
        group.permissions.set(wanted)


def user_create(
    *,
    username: str,
    password: str | None,
    email: str = "",
    roles: list[str] | tuple[str, ...] = (),
    first_name: str = "",
    last_name: str = "",
    is_superuser: bool = False,
):
    User = get_user_model()
    with transaction.atomic():
        user = User(
            username=username,
            email=email,
            first_name=first_name,
            last_name=last_name,
            is_superuser=is_superuser,
            is_staff=is_superuser,
        )
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        user.groups.set(Group.objects.filter(name__in=roles))
    return user


def token_create(
    *, user, name: str = "", expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """A new token and its key; the key is not stored and cannot be shown again."""
    key = ApiToken.new_key()
    token = ApiToken.objects.create(
        user=user, name=name, prefix=key[:12], key_hash=hash_key(key), expires_at=expires_at
    )
    return token, key


def token_authenticate(key: str):
    """The active user a key belongs to, or None."""
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_key(key), revoked=False, user__is_active=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .first()
    )
    if token is None:
        return None
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user

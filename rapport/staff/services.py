"""Staff accounts, roles and API tokens."""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from rapport.core.registry import role_grants
from rapport.staff.models import ApiToken, hash_key
from rapport.staff.roles import ALL, ROLE_PERMISSIONS, rapport_apps


def departments_sync() -> None:
    """The built-in departments exist (complaints are routed to them by cause, DOMAIN §6): created
    after every migrate, like the role groups, so a database that was emptied (a flush) has them
    again. Departments an organisation added or edited are left as they are."""
    from rapport.staff.models import BUILTIN_DEPARTMENTS, Department, standard_hours

    existing = set(Department.objects.values_list("code", flat=True))
    Department.objects.bulk_create(
        [
            Department(code=code, working_hours=standard_hours())
            for code in BUILTIN_DEPARTMENTS
            if code not in existing
        ]
    )


def roles_sync() -> None:
    """Create the role groups and give each exactly the permissions roles.py lists, plus those the
    installed apps grant it (rapport.core.registry.register_role_permissions)."""
    perms = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type")
    }
    apps_of_ours = rapport_apps()
    for role, base in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        wanted: set[Permission] = set()
        specs = [base, *role_grants(role)]
        for model, actions in ((m, a) for spec in specs for m, a in spec.items()):
            if model == "extra":
                wanted.update(perms[c] for c in actions if c in perms)
            elif model == "*":
                wanted.update(
                    p
                    for key, p in perms.items()
                    if key.split(".")[0] in apps_of_ours
                    and (
                        p.codename.split("_")[0] in actions
                        # "*" with every action also holds the apps' own permissions
                        # (loyalty.adjust_points, …): the administrator may do everything.
                        or (set(actions) >= set(ALL) and p.codename.split("_")[0] not in ALL)
                    )
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


# Staff accounts from the administrator's page ---------------------------------------------------


def role_choices() -> list[tuple[str, str]]:
    """(name, translated label) of every role, in roles.py's order."""
    from rapport.staff.roles import ROLE_LABELS

    return [(name, str(label)) for name, label in ROLE_LABELS.items()]


def _check_role(role: str) -> None:
    from rapport.staff.roles import ROLE_LABELS

    if role not in ROLE_LABELS:
        raise ValidationError({"role": [_("Choose one of the roles.")]})


def _check_may_manage(by, user) -> None:  # noqa: ANN001
    """Only a superuser changes a superuser's account (the others cannot lock them out)."""
    if user.is_superuser and not getattr(by, "is_superuser", False):
        raise ValidationError(_("Only a superuser can change a superuser's account."))


def _record(user, by, action, changes) -> None:  # noqa: ANN001
    from rapport.core.services import record_change

    record_change(obj=user, action=action, by=by, changes=changes)


def staff_invite(
    *,
    by,  # noqa: ANN001
    email: str,
    role: str,
    first_name: str = "",
    last_name: str = "",
    username: str = "",
    language: str = "",
):
    """A new staff account without a password, in `role`; an invitation goes to `email` after
    the commit with a one-time link to choose the password (valid for RAPPORT_INVITATION_DAYS)."""
    from rapport.core.choices import ChangeAction

    User = get_user_model()
    email = (email or "").strip()
    username = (username or "").strip() or email.lower()
    errors: dict[str, list[str]] = {}
    if not email:
        errors["email"] = [_("An invitation needs an email address.")]
    if User.objects.filter(username__iexact=username).exists():
        errors["username" if username != email.lower() else "email"] = [
            _("A staff member with this user name exists already.")
        ]
    elif email and User.objects.filter(email__iexact=email).exists():
        errors["email"] = [_("A staff member with this email address exists already.")]
    if errors:
        raise ValidationError(errors)
    _check_role(role)
    with transaction.atomic():
        user = user_create(
            username=username,
            password=None,
            email=email,
            roles=[role],
            first_name=first_name.strip(),
            last_name=last_name.strip(),
        )
        _record(
            user,
            by,
            ChangeAction.CREATE,
            {"username": [None, username], "email": [None, email], "role": [None, role]},
        )
        transaction.on_commit(lambda: send_invitation(user=user, by=by, language=language))
    return user


def invitation_pending(user) -> bool:  # noqa: ANN001
    """Invited, and has not chosen a password yet."""
    return user.is_active and not user.has_usable_password() and user.last_login is None


def send_invitation(*, user, by=None, language: str = "") -> None:  # noqa: ANN001
    """Mail `user` the link that sets their password (a new link for a pending invitation)."""
    from django.conf import settings
    from django.core.mail import send_mail
    from django.urls import reverse
    from django.utils import translation
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from rapport.staff.tokens import invitation_token

    link = settings.RAPPORT_PUBLIC_URL + reverse(
        "staff_welcome",
        args=[urlsafe_base64_encode(force_bytes(user.pk)), invitation_token.make_token(user)],
    )
    inviter = (getattr(by, "get_full_name", lambda: "")() or str(by or "")).strip()
    with translation.override(language or translation.get_language()):
        days = settings.RAPPORT_INVITATION_DAYS
        body = [
            _("Hello %(name)s,") % {"name": user.get_full_name() or user.get_username()},
            (
                _("%(inviter)s has invited you to work in Rapport.") % {"inviter": inviter}
                if inviter
                else _("You have been invited to work in Rapport.")
            ),
            _("Your user name: %(username)s") % {"username": user.get_username()},
            _("Choose your password here (the link works once, for %(days)s days):")
            % {"days": days},
            link,
        ]
        send_mail(
            subject=_("Your Rapport account"),
            message="\n\n".join(str(line) for line in body),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[user.email],
        )


def staff_update(
    *,
    by,  # noqa: ANN001
    user_id: int,
    role: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    email: str | None = None,
):
    """Change a staff member's name, email or role (one role replaces the ones they had)."""
    from rapport.core.choices import ChangeAction

    User = get_user_model()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        _check_may_manage(by, user)
        changes: dict[str, list] = {}
        for field, value in (("first_name", first_name), ("last_name", last_name)):
            if value is not None and getattr(user, field) != value.strip():
                changes[field] = [getattr(user, field), value.strip()]
                setattr(user, field, value.strip())
        if email is not None and user.email != email.strip():
            email = email.strip()
            if email and User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
                raise ValidationError(
                    {"email": [_("A staff member with this email address exists already.")]}
                )
            changes["email"] = [user.email, email]
            user.email = email
        if role is not None:
            _check_role(role)
            before = sorted(user.groups.values_list("name", flat=True))
            if before != [role]:
                if getattr(by, "pk", None) == user.pk and "administrator" in before:
                    raise ValidationError(
                        {"role": [_("You cannot take the administrator role from yourself.")]}
                    )
                user.groups.set(Group.objects.filter(name=role))
                changes["role"] = [", ".join(before) or None, role]
        user.save()
        _record(user, by, ChangeAction.UPDATE, changes)
    return user


def staff_set_active(*, by, user_id: int, active: bool):  # noqa: ANN001
    """Deactivate (they cannot log in, their API tokens stop working, their sessions end at the
    next request) or reactivate a staff member. Their history stays."""
    from rapport.core.choices import ChangeAction

    User = get_user_model()
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user_id)
        _check_may_manage(by, user)
        if not active and getattr(by, "pk", None) == user.pk:
            raise ValidationError(_("You cannot deactivate your own account."))
        if user.is_active != active:
            _record(user, by, ChangeAction.UPDATE, {"is_active": [user.is_active, active]})
            user.is_active = active
            user.save(update_fields=["is_active"])
    return user


def staff_send_password_reset(*, by, user_id: int, language: str = "") -> None:  # noqa: ANN001
    """Mail the staff member a link to choose a new password (Django's reset link); a pending
    invitation is sent again instead."""
    from django.conf import settings
    from django.contrib.auth.forms import PasswordResetForm
    from django.utils import translation

    User = get_user_model()
    user = User.objects.get(pk=user_id)
    _check_may_manage(by, user)
    if not user.is_active:
        raise ValidationError(_("Reactivate the account before sending a password link."))
    if not user.email:
        raise ValidationError(_("This staff member has no email address."))
    if invitation_pending(user):
        send_invitation(user=user, by=by, language=language)
        return
    form = PasswordResetForm({"email": user.email})
    form.is_valid()
    host = settings.RAPPORT_PUBLIC_URL.split("://", 1)
    with translation.override(language or translation.get_language()):
        form.save(
            domain_override=host[-1],
            use_https=host[0] == "https",
            from_email=settings.DEFAULT_FROM_EMAIL,
            subject_template_name="registration/password_reset_subject.txt",
            email_template_name="registration/password_reset_email.html",
        )

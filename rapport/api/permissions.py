from django.core.exceptions import PermissionDenied


def require(request, *perms: str) -> None:
    """Raise PermissionDenied (→ 403) unless the caller holds every permission."""
    if not request.user.has_perms(perms):
        raise PermissionDenied

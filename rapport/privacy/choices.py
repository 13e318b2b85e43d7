from django.db import models
from django.utils.translation import gettext_lazy as _


class ReadKind(models.TextChoices):
    ACCESS_EXPORT = "access_export", _("everything about one person (access request)")
    LIST_PAGE = "list_page", _("page of the customer list (API)")
    WEB_LIST = "web_list", _("page of the customer list or search (web)")
    FILE_EXPORT = "file_export", _("export file")

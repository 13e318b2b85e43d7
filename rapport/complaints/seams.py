"""What the complaints app registers with the hub (called from ComplaintsConfig.ready)."""


def register() -> None:
    from rapport.core import registry

    registry.register_role_permissions(
        {
            "agent": {
                "complaints.complaint": ("view", "add", "change"),
                "complaints.cause": ("view",),
            },
            "department": {
                "complaints.complaint": ("view", "change"),
                "complaints.cause": ("view",),
            },
            "manager": {
                "complaints.complaint": ("view", "add", "change"),
                "complaints.cause": ("view", "add", "change"),
                "extra": ("complaints.approve_complaint", "complaints.view_complaint_report"),
            },
            "analyst": {
                "complaints.complaint": ("view",),
                "complaints.cause": ("view",),
                "extra": ("complaints.view_complaint_report",),
            },
        }
    )

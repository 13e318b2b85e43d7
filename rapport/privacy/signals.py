"""Hooks the privacy app sets when it is ready."""


def connect() -> None:
    from rapport.core.privacy import register_read_log

    def log(**kwargs: object) -> None:
        from rapport.privacy.services import read_log

        read_log(**kwargs)  # type: ignore[arg-type]

    register_read_log(log)

"""Errors the domain layer raises, each with a message a user can read."""


class DomainError(Exception):
    """A rule of the domain refused the request. `field` names the form field it concerns."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """The record does not exist, or the user may not know that it exists."""

    def __init__(self, message: str = "Page not found"):
        super().__init__(message)


class InvalidTransition(DomainError):
    pass


class FormInvalid(DomainError):
    """Several problems at once, each against its field (`errors`: field -> message), so a form shows them all."""

    def __init__(self, errors: dict[str, str]):
        only = next(iter(errors)) if len(errors) == 1 else None
        super().__init__("; ".join(errors.values()), field=only or None)
        self.errors = errors


class Problems:
    """Runs a record's checks one after another, keeping each one's DomainError (a NotFound still stops at once),
    so that `raise_any` refuses them together rather than one per submission."""

    def __init__(self):
        self.errors: dict[str, str] = {}

    def check(self, check, *args, **kwargs):
        try:
            return check(*args, **kwargs)
        except NotFound:
            raise
        except DomainError as error:
            self.errors.setdefault(error.field or "", error.message)
            return None

    def raise_any(self) -> None:
        if self.errors:
            raise FormInvalid(self.errors)

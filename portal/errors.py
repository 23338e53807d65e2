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

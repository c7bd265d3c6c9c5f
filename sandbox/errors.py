"""Errors the sandbox answers with, each carrying Binance's error code and HTTP status."""

from __future__ import annotations


class ApiError(Exception):
    """A request the sandbox refuses; rendered as Binance's `{"code": ..., "msg": ...}`."""

    status = 400
    code = -1000

    def __init__(self, msg: str) -> None:
        super().__init__(msg)
        self.msg = msg


class BadParameterError(ApiError):
    """A parameter with illegal characters or out of its legal range (fix the request)."""

    code = -1100


class MissingParameterError(ApiError):
    """A mandatory parameter is absent or empty (fix the request)."""

    code = -1102

    def __init__(self, name: str) -> None:
        super().__init__(
            f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
        )


class InvalidIntervalError(ApiError):
    """A kline interval the sandbox does not serve."""

    code = -1120

    def __init__(self) -> None:
        super().__init__("Invalid interval.")


class InvalidSymbolError(ApiError):
    """A symbol the sandbox does not list."""

    code = -1121

    def __init__(self) -> None:
        super().__init__("Invalid symbol.")


class NotFoundError(ApiError):
    """A path the sandbox does not serve (private, futures and margin APIs included)."""

    status = 404
    code = -1000


class MethodNotAllowedError(ApiError):
    """A known path asked with a method other than GET."""

    status = 405
    code = -1000


class HttpError(ApiError):
    """Any other refusal at the HTTP level (e.g. a body too large), keeping its status."""

    def __init__(self, status: int, msg: str) -> None:
        super().__init__(msg)
        self.status = status

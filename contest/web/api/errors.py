"""JSON errors for the API: the same refusals as the pages, with both messages, as JSON."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

PREFIX = "/api/"

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    422: "invalid_request",
    429: "rate_limited",
}


class ApiError(Exception):
    """A refusal only the API makes (a missing or refused token), answered as JSON."""

    def __init__(
        self, status: int, code: str, message_vi: str, message_en: str, *, bearer: str = ""
    ) -> None:
        super().__init__(message_en)
        self.status = status
        self.code = code
        self.message_vi = message_vi
        self.message_en = message_en
        self.bearer = bearer  # the RFC 6750 error code for WWW-Authenticate, on a 401


def is_api(request: Request) -> bool:
    return request.url.path.startswith(PREFIX)


def json_error(
    status: int,
    message_vi: str,
    message_en: str,
    *,
    code: str | None = None,
    fields: list[str] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict = {
        "status": status,
        "code": code or CODES.get(status, "error"),
        "message_vi": message_vi,
        "message_en": message_en,
    }
    if fields is not None:
        body["fields"] = fields
    return JSONResponse(
        body, status_code=status, headers={"Cache-Control": "no-store", **(headers or {})}
    )


def api_error_response(exc: ApiError) -> JSONResponse:
    headers = {}
    if exc.status == 401:
        headers["WWW-Authenticate"] = (
            f'Bearer realm="contest", error="{exc.bearer}"'
            if exc.bearer
            else 'Bearer realm="contest"'
        )
    return json_error(exc.status, exc.message_vi, exc.message_en, code=exc.code, headers=headers)

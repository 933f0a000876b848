"""Response helpers: JSON with an ETag (304 on a match), CSV with a byte-order mark."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel

from contest.exporters.csv_open import write_csv

# Open data changes when a list is published or people take part: a minute is fresh enough,
# and the ETag lets a client that polls more often get a bodiless 304.
PUBLIC_CACHE = "public, max-age=60"
# A certificate can be revoked at any moment: a client asks again each time (cheap with the ETag).
REVALIDATE = "no-cache"
PRIVATE = "private, no-store"

CSV_TYPE = "text/csv; charset=utf-8"


def _disposition(filename: str) -> str:
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def conditional(
    request: Request,
    body: bytes,
    media_type: str,
    *,
    cache: str = PUBLIC_CACHE,
    filename: str | None = None,
    status_code: int = 200,
) -> Response:
    headers = {"Cache-Control": cache, "Vary": "Accept-Encoding"}
    if filename:
        headers["Content-Disposition"] = _disposition(filename)
    if cache == PRIVATE:
        return Response(body, status_code=status_code, media_type=media_type, headers=headers)
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers["ETag"] = etag
    sent = request.headers.get("if-none-match", "")
    if (
        status_code == 200
        and sent
        and (sent.strip() == "*" or etag in (t.strip().removeprefix("W/") for t in sent.split(",")))
    ):
        return Response(status_code=304, headers=headers)
    return Response(body, status_code=status_code, media_type=media_type, headers=headers)


def json_model(
    request: Request,
    model: BaseModel,
    *,
    cache: str = PUBLIC_CACHE,
    filename: str | None = None,
    status_code: int = 200,
) -> Response:
    body = model.model_dump_json().encode()
    return conditional(
        request,
        body,
        "application/json",
        cache=cache,
        filename=filename,
        status_code=status_code,
    )


def csv_responses(errors: dict[int | str, dict]) -> dict[int | str, dict]:
    """The OpenAPI responses of a CSV download: `errors`, and the file itself for 200."""
    return {
        **errors,
        200: {
            "description": "CSV, UTF-8 with BOM.",
            "content": {CSV_TYPE: {"schema": {"type": "string"}}},
        },
    }


def csv_file(
    request: Request,
    first_line: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    filename: str,
    *,
    cache: str = PUBLIC_CACHE,
) -> Response:
    """A CSV download (see `write_csv`): `first_line` (a licence or a warning), the header row,
    then `rows`; sent as an attachment called `filename`."""
    data = write_csv(first_line, headers, rows)
    return conditional(request, data, CSV_TYPE, cache=cache, filename=filename)

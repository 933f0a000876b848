"""Streamed downloads of stored files: a chunk at a time, never the whole file in memory."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

from fastapi.responses import StreamingResponse


def stream(
    chunks: Iterator[bytes],
    *,
    size: int,
    media_type: str,
    filename: str,
    attachment: bool = True,
    headers: dict[str, str] | None = None,
) -> StreamingResponse:
    disposition = "attachment" if attachment else "inline"
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "")
    return StreamingResponse(
        chunks,
        media_type=media_type,
        headers={
            "Content-Disposition": (
                f"{disposition}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
            ),
            "Content-Length": str(size),
            "Cache-Control": "private, no-store",
            **(headers or {}),
        },
    )

"""Question pictures at content-hashed URLs: public, cached for a year, never changed."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from contest.services import pictures
from contest.web.deps import get_db

router = APIRouter()

# The URL names the bytes (their SHA-256), so a cached copy can never be stale.
CACHE = "public, max-age=31536000, immutable"


@router.get("/pictures/{name}")
def picture(request: Request, name: str, db: Session = Depends(get_db)) -> Response:
    found = pictures.picture_file(db, name)
    headers = {"Cache-Control": CACHE, "ETag": found.etag}
    if request.headers.get("if-none-match") == found.etag:
        return Response(status_code=304, headers=headers)
    return Response(found.data, media_type=found.media_type, headers=headers)

"""Static files with content-hashed URLs, so they can be cached for a year."""

from __future__ import annotations

import hashlib
from functools import lru_cache

from starlette.staticfiles import StaticFiles

from contest.config import PROJECT_DIR

STATIC_DIR = PROJECT_DIR / "static"


@lru_cache(maxsize=256)
def static_url(path: str) -> str:
    digest = hashlib.sha256((STATIC_DIR / path).read_bytes()).hexdigest()[:10]
    return f"/static/{path}?v={digest}"


class CachedStaticFiles(StaticFiles):
    def file_response(self, *args, **kwargs):
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response

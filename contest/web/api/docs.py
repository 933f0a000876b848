"""The OpenAPI document of /api/v1 and a documentation page drawn from it on the server:
no script, no stylesheet from elsewhere, readable on a phone and without JavaScript."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from fastapi.routing import APIRoute

from contest.web.api import public, staff
from contest.web.api.responses import conditional
from contest.web.templating import render

API_VERSION = "1.0.0"
DESCRIPTION = """\
Dữ liệu mở của các cuộc thi (danh sách giải đã công bố, che thông tin cá nhân như trang kết quả;
số liệu tham gia theo đợt và theo đơn vị; xác minh giấy chứng nhận) và API cho cán bộ lấy kết
quả bằng mã truy cập (token).

Open data of the contests (published prize lists, masked as on the results pages; participation
per round and per unit; certificate verification) and a staff API that a province system uses to
pull results with a token.

- Errors are JSON: `status`, `code`, `message_vi`, `message_en`.
- Requests are limited per address; past the limit: 429 with `Retry-After`.
- Open-data responses carry an `ETag` and `Cache-Control`; send `If-None-Match` to get 304.
- CSV downloads are UTF-8 with a byte-order mark; their first line is the licence (starts with `#`).
- Staff API: `Authorization: Bearer <token>`; tokens are created by an administrator
  (page /admin/api-tokens or `contest tokens create`), scoped to contests and to
  `prizes:read` and/or `rankings:read`.
"""

router = APIRouter(prefix="/api/v1", include_in_schema=False)
ROUTERS = (public.router, staff.router)


def api_routes() -> list[APIRoute]:
    return [r for router in ROUTERS for r in router.routes if isinstance(r, APIRoute)]


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    from contest.config import get_settings

    doc = get_openapi(
        title="contest API",
        version=API_VERSION,
        openapi_version="3.1.0",
        description=DESCRIPTION,
        routes=api_routes(),
        tags=[
            {
                "name": "open data",
                "description": "Kết quả đã công bố và số liệu tham gia, cho mọi người / "
                "Published results and participation, for anyone.",
            },
            {
                "name": "certificates",
                "description": "Xác minh giấy chứng nhận / Verify a certificate by its code.",
            },
            {
                "name": "staff",
                "description": "Lấy kết quả bằng mã truy cập / Results export with a token (Bearer).",
            },
        ],
        license_info={
            "name": f"Open data: {get_settings().open_data_licence}",
            "url": get_settings().open_data_licence_url,
        },
    )
    return doc


@lru_cache(maxsize=1)
def _document_bytes() -> bytes:
    return json.dumps(openapi_document(), ensure_ascii=False, separators=(",", ":")).encode()


@router.get("/openapi.json")
def openapi_json(request: Request) -> Response:
    return conditional(request, _document_bytes(), "application/json", cache="public, max-age=300")


# --- the page -------------------------------------------------------------------------------


def _resolve(schema: dict, components: dict) -> dict:
    ref = schema.get("$ref")
    if ref:
        return components.get(ref.rsplit("/", 1)[-1], {})
    return schema


def sample(schema: dict, components: dict, depth: int = 0) -> Any:
    """An example value built from the schema's own examples (what the page shows per endpoint)."""
    schema = _resolve(schema, components)
    if depth > 6:
        return None
    if "examples" in schema and isinstance(schema["examples"], list) and schema["examples"]:
        example = schema["examples"][0]
        if not (isinstance(example, dict) and schema.get("type") == "object"):
            return example
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [o for o in schema[key] if o.get("type") != "null"]
            return sample(options[0], components, depth + 1) if options else None
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return {
            name: sample(prop, components, depth + 1)
            for name, prop in schema.get("properties", {}).items()
        }
    if kind == "array":
        return [sample(schema.get("items", {}), components, depth + 1)]
    return {"string": "", "integer": 0, "number": 0, "boolean": True}.get(str(kind))


def _operations(doc: dict) -> list[dict]:
    components = doc.get("components", {}).get("schemas", {})
    out = []
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            ok = op.get("responses", {}).get("200", {})
            content = ok.get("content", {})
            example = None
            if "application/json" in content:
                example = json.dumps(
                    sample(content["application/json"].get("schema", {}), components),
                    ensure_ascii=False,
                    indent=2,
                )
            out.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "tag": (op.get("tags") or [""])[0],
                    "summary": op.get("summary", ""),
                    "description": op.get("description", ""),
                    "secured": bool(op.get("security")),
                    "parameters": op.get("parameters", []),
                    "responses": sorted(op.get("responses", {}).items()),
                    "media": sorted(content),
                    "example": example,
                }
            )
    return out


@router.get("/docs")
def docs_page(request: Request):
    doc = openapi_document()
    return render(
        request,
        "api/docs.html",
        {"doc": doc, "operations": _operations(doc), "version": API_VERSION},
    )

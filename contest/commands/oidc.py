"""`contest oidc set|show|disable`: a contest's OpenID provider (VNeID, a province's sign-on)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from contest.commands.output import JsonFlag, emit, error_dict, fail
from contest.domain.errors import ContestError, InvalidInput

oidc_app = typer.Typer(
    help="Đăng nhập qua nhà cung cấp định danh / sign-in with an OpenID provider",
    no_args_is_help=True,
)

ContestOpt = Annotated[str, typer.Option("--contest", help="The contest's slug.")]
ByOpt = Annotated[
    str | None, typer.Option("--by", help="Username of the organiser acting (default: system).")
]


def _failed(as_json: bool, exc: ContestError) -> None:
    errors = exc.errors if isinstance(exc, InvalidInput) else [exc]
    fail(
        as_json,
        [error_dict(e) for e in errors],
        "\n".join(f"{e.field or '-'}: {e.message_vi}\n   {e.message_en}" for e in errors),
    )


def _describe(provider, secret_status: str, callback: str) -> dict:
    return {
        "enabled": provider.enabled,
        "name_vi": provider.name_vi,
        "name_en": provider.name_en,
        "issuer": provider.issuer,
        "client_id": provider.client_id,
        "secret_name": provider.secret_name,
        "secret": secret_status,
        "scopes": provider.scopes,
        "claims": {
            "citizen_id": provider.claim_citizen_id,
            "full_name": provider.claim_full_name,
            "birthdate": provider.claim_birthdate,
            "phone": provider.claim_phone,
        },
        "redirect_uri": callback,
        "updated_at": provider.updated_at.isoformat(),
        "updated_by": provider.updated_by,
    }


def _text(d: dict) -> str:
    state = "bật / on" if d["enabled"] else "tắt / off"
    return "\n".join(
        [
            f"{d['name_vi']} ({state})",
            f"issuer        {d['issuer']}",
            f"client id     {d['client_id']}",
            f"secret        {d['secret_name'] or '-'} ({d['secret']})",
            f"scopes        {d['scopes']}",
            "claims        " + ", ".join(f"{k}={v}" for k, v in d["claims"].items()),
            f"redirect URI  {d['redirect_uri']}",
        ]
    )


@oidc_app.command("set")
def set_command(
    contest: ContestOpt,
    issuer: Annotated[str | None, typer.Option(help="https URL of the provider (issuer).")] = None,
    client_id: Annotated[str | None, typer.Option("--client-id")] = None,
    name: Annotated[str | None, typer.Option(help="Name on the button (Vietnamese).")] = None,
    name_en: Annotated[str | None, typer.Option("--name-en")] = None,
    secret_name: Annotated[
        str | None,
        typer.Option(
            "--secret-name",
            help="Name of the client secret: read from CONTEST_OIDC_SECRET_<NAME> or "
            "<CONTEST_OIDC_SECRETS_DIR>/<name>. Empty: a public client.",
        ),
    ] = None,
    secret_file: Annotated[
        Path | None,
        typer.Option(
            "--secret-file",
            help="Copy the secret from this file into the secrets folder as <secret-name> "
            "('-': standard input). The database never holds it.",
        ),
    ] = None,
    scopes: Annotated[str | None, typer.Option(help='e.g. "openid profile"')] = None,
    claim_citizen_id: Annotated[str | None, typer.Option("--claim-citizen-id")] = None,
    claim_name: Annotated[str | None, typer.Option("--claim-name")] = None,
    claim_birthdate: Annotated[str | None, typer.Option("--claim-birthdate")] = None,
    claim_phone: Annotated[str | None, typer.Option("--claim-phone")] = None,
    check: Annotated[
        bool, typer.Option("--check", help="Read the provider's discovery document now.")
    ] = False,
    by: ByOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Configure (or change) the contest's provider and turn it on; unnamed options keep
    their current value."""
    from dataclasses import replace

    from contest.commands.contests import _actor
    from contest.db import session_scope
    from contest.domain.identity_claims import ClaimMapping, ProviderSettings
    from contest.services import contests, oidc

    try:
        with session_scope() as db:
            row = contests.get_by_slug(db, contest)
            current = oidc.provider_of(db, row)
            base = (
                oidc.settings_of(current)
                if current
                else ProviderSettings("VNeID", "", "", "", "", "openid profile", ClaimMapping())
            )
            claims = ClaimMapping(
                claim_citizen_id or base.claims.citizen_id,
                claim_name or base.claims.full_name,
                claim_birthdate or base.claims.birthdate,
                claim_phone or base.claims.phone,
            )
            wanted = replace(
                base,
                name_vi=name if name is not None else base.name_vi,
                name_en=name_en if name_en is not None else base.name_en,
                issuer=issuer if issuer is not None else base.issuer,
                client_id=client_id if client_id is not None else base.client_id,
                secret_name=secret_name if secret_name is not None else base.secret_name,
                scopes=scopes if scopes is not None else base.scopes,
                claims=claims,
            )
            secret = None
            if secret_file is not None:
                if not wanted.secret_name:
                    raise ContestError(
                        "Cần --secret-name để lưu khoá bí mật.",
                        "--secret-name is needed to store the secret.",
                        field="secret_name",
                    )
                text = sys.stdin.read() if str(secret_file) == "-" else secret_file.read_text()
                secret = text.strip()
            provider = oidc.configure(db, _actor(db, by), row, wanted)
            if secret:
                oidc.store_secret(provider.secret_name, secret)
            if check:
                oidc.metadata(provider.issuer)
            described = _describe(provider, oidc.secret_status(provider), oidc.callback_url(row))
            payload = {"ok": True, "contest": row.slug, "provider": described}
    except (ContestError, OSError) as exc:
        if isinstance(exc, OSError):
            exc = ContestError(f"Không đọc được tệp: {exc}", f"Cannot read the file: {exc}")
        _failed(as_json, exc)
    emit(as_json, payload, "Đã lưu / saved.\n" + _text(described))


@oidc_app.command("show")
def show_command(contest: ContestOpt, as_json: JsonFlag = False) -> None:
    """The contest's provider, whether its secret is found on this server, the redirect URI."""
    from contest.db import session_scope
    from contest.domain.errors import NotFound
    from contest.services import contests, oidc

    try:
        with session_scope() as db:
            row = contests.get_by_slug(db, contest)
            provider = oidc.provider_of(db, row)
            if provider is None:
                raise NotFound(
                    "Cuộc thi chưa cấu hình nhà cung cấp định danh.",
                    "The contest has no identity provider configured.",
                )
            described = _describe(provider, oidc.secret_status(provider), oidc.callback_url(row))
    except ContestError as exc:
        _failed(as_json, exc)
    emit(as_json, {"ok": True, "contest": contest, "provider": described}, _text(described))


@oidc_app.command("disable")
def disable_command(contest: ContestOpt, by: ByOpt = None, as_json: JsonFlag = False) -> None:
    """Stop offering the provider (its settings are kept)."""
    from contest.commands.contests import _actor
    from contest.db import session_scope
    from contest.services import contests, oidc

    try:
        with session_scope() as db:
            oidc.disable(db, _actor(db, by), contests.get_by_slug(db, contest))
    except ContestError as exc:
        _failed(as_json, exc)
    emit(as_json, {"ok": True, "contest": contest, "enabled": False}, "Đã tắt / turned off.")

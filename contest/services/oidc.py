"""Sign-in through a contest's OpenID provider: its settings, the authorization-code flow (PKCE
S256, state, nonce, the ID token checked against the provider's published keys), and what a
verified identity does to accounts.

Protocol pieces come from Authlib (authorization URL, PKCE challenge, client authentication,
the OpenID ID-token claim rules) and joserfc, Authlib's JOSE library (signature against the
JWKS); HTTP goes through httpx.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.auth import ClientAuth
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ClaimError,
    ExpiredTokenError,
    JoseError,
)
from joserfc.jwk import KeySet
from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from contest import clock
from contest.config import get_settings
from contest.db import transaction, transactional
from contest.domain.errors import ContestError, InvalidInput, NotFound
from contest.domain.identity_claims import (
    ClaimMapping,
    CompletionInput,
    ProviderSettings,
    SignInRefused,
    VerifiedIdentity,
    check_completion,
    check_provider_settings,
    identity_from_claims,
    refusal,
    same_person,
)
from contest.domain.messages import identity_linked
from contest.domain.registration import CONSENT_VERSION, EntryRules
from contest.models import (
    Contest,
    IdentityProvider,
    OidcSignIn,
    Participant,
    ParticipantIdentity,
)
from contest.repositories import identity as identity_rows
from contest.services import accounts, audit, claims, messages, ratelimit, sessions
from contest.services.context import Actor

REQUEST_TTL = timedelta(minutes=10)
COMPLETION_TTL = timedelta(minutes=30)
HTTP_TIMEOUT = 5.0
METADATA_TTL = 3600.0
JWKS_REFRESH_GAP = 60.0  # an unknown key id refetches the JWKS at most this often
LEEWAY_SECONDS = 60
ALGORITHMS = ["RS256", "PS256", "ES256"]
# An account signed in through the provider has no password: argon2 refuses this hash.
NO_PASSWORD = "!oidc"


# ---- settings ----------------------------------------------------------------------------


def provider_of(db: Session, contest: Contest) -> IdentityProvider | None:
    return identity_rows.provider_of(db, contest.id)


def enabled_provider(db: Session, contest: Contest) -> IdentityProvider | None:
    """The provider a contest's sign-in pages offer, or None."""
    provider = provider_of(db, contest)
    return provider if provider is not None and provider.enabled else None


def mapping_of(provider: IdentityProvider) -> ClaimMapping:
    return ClaimMapping(
        provider.claim_citizen_id,
        provider.claim_full_name,
        provider.claim_birthdate,
        provider.claim_phone,
    )


def settings_of(provider: IdentityProvider) -> ProviderSettings:
    return ProviderSettings(
        provider.name_vi,
        provider.name_en,
        provider.issuer,
        provider.client_id,
        provider.secret_name,
        provider.scopes,
        mapping_of(provider),
    )


def secret_env_name(secret_name: str) -> str:
    return "CONTEST_OIDC_SECRET_" + secret_name.upper().replace("-", "_")


def secret_file(secret_name: str):
    return get_settings().oidc_secrets_dir / secret_name


def read_secret(secret_name: str) -> str | None:
    """The client secret, from CONTEST_OIDC_SECRET_<NAME> or the file <secrets dir>/<name>.
    Only a name is configurable, never a path: an organiser cannot make the application send
    some other file's contents to a provider of their choosing."""
    if not secret_name:
        return None
    value = os.environ.get(secret_env_name(secret_name), "").strip()
    if value:
        return value
    path = secret_file(secret_name)
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


def store_secret(secret_name: str, value: str) -> None:
    """Write a client secret into the secrets folder, readable by its owner only (`contest
    oidc set --secret-file`). Every app host needs the same file, or the environment variable."""
    folder = get_settings().oidc_secrets_dir
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = secret_file(secret_name)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value.strip() + "\n")
    os.chmod(path, 0o600)


def secret_status(provider: IdentityProvider) -> str:
    """'public' (no secret), 'env', 'file' or 'missing': shown on the settings page."""
    if not provider.secret_name:
        return "public"
    if os.environ.get(secret_env_name(provider.secret_name), "").strip():
        return "env"
    return "file" if read_secret(provider.secret_name) else "missing"


@transactional
def configure(
    db: Session, actor: Actor, contest: Contest, data: ProviderSettings
) -> IdentityProvider:
    """Create or change the contest's provider (enabled). Audited with every field but the
    secret, which is never here."""
    valid = check_provider_settings(data)
    provider = provider_of(db, contest)
    if provider is None:
        provider = IdentityProvider(contest_id=contest.id)
        db.add(provider)
    provider.name_vi, provider.name_en = valid.name_vi, valid.name_en
    provider.issuer, provider.client_id = valid.issuer, valid.client_id
    provider.secret_name, provider.scopes = valid.secret_name, valid.scopes
    provider.claim_citizen_id = valid.claims.citizen_id
    provider.claim_full_name = valid.claims.full_name
    provider.claim_birthdate = valid.claims.birthdate
    provider.claim_phone = valid.claims.phone
    provider.enabled = True
    provider.updated_at = clock.now()
    provider.updated_by = actor.audit_name[:120]
    db.flush()
    audit.record(
        db,
        actor,
        "oidc.configure",
        "contest",
        contest.id,
        {
            "contest": contest.slug,
            "name": valid.name_vi,
            "issuer": valid.issuer,
            "client_id": valid.client_id,
            "secret_name": valid.secret_name,
            "scopes": valid.scopes,
            "claims": valid.claims.__dict__,
        },
    )
    return provider


@transactional
def disable(db: Session, actor: Actor, contest: Contest) -> IdentityProvider:
    """Stop offering the provider; the settings stay for turning it back on. Accounts made
    through it keep their link (they sign in again once it is back)."""
    provider = provider_of(db, contest)
    if provider is None:
        raise NotFound(
            "Cuộc thi chưa cấu hình nhà cung cấp định danh.",
            "The contest has no identity provider configured.",
        )
    provider.enabled = False
    provider.updated_at = clock.now()
    provider.updated_by = actor.audit_name[:120]
    audit.record(db, actor, "oidc.disable", "contest", contest.id, {"contest": contest.slug})
    return provider


def callback_url(contest: Contest) -> str:
    """The redirect URI to register with the provider."""
    return f"{get_settings().base_url.rstrip('/')}/c/{contest.slug}/oidc/callback"


# ---- the provider's documents ------------------------------------------------------------

_cache_lock = threading.Lock()
_metadata_cache: dict[str, tuple[float, dict]] = {}
_jwks_cache: dict[str, tuple[float, KeySet]] = {}


def clear_caches() -> None:
    with _cache_lock:
        _metadata_cache.clear()
        _jwks_cache.clear()


def _get_json(url: str) -> dict:
    try:
        response = httpx.get(url, timeout=HTTP_TIMEOUT, headers={"Accept": "application/json"})
        response.raise_for_status()
        body = response.json()
    except (httpx.HTTPError, ValueError):
        raise refusal("provider_down") from None
    if not isinstance(body, dict):
        raise refusal("provider_down")
    return body


def metadata(issuer: str) -> dict:
    """The provider's discovery document, kept an hour. Its issuer must be exactly the one
    configured (OpenID Connect Discovery 1.0, section 4.3)."""
    with _cache_lock:
        cached = _metadata_cache.get(issuer)
    if cached and time.monotonic() - cached[0] < METADATA_TTL:
        return cached[1]
    doc = _get_json(issuer + "/.well-known/openid-configuration")
    needed = ("authorization_endpoint", "token_endpoint", "jwks_uri")
    if doc.get("issuer") != issuer or not all(isinstance(doc.get(k), str) for k in needed):
        raise refusal("provider_down")
    with _cache_lock:
        _metadata_cache[issuer] = (time.monotonic(), doc)
    return doc


def _keys(jwks_uri: str, *, refresh: bool = False) -> KeySet:
    """The provider's signing keys, kept an hour; `refresh` (a key id not yet known: the
    provider rotated its keys) refetches them, at most once a minute."""
    now = time.monotonic()
    with _cache_lock:
        cached = _jwks_cache.get(jwks_uri)
    if cached is not None:
        age = now - cached[0]
        if age < (JWKS_REFRESH_GAP if refresh else METADATA_TTL):
            return cached[1]
    try:
        keys = KeySet.import_key_set(_get_json(jwks_uri))  # type: ignore[arg-type]
    except (JoseError, ValueError, KeyError, TypeError):
        raise refusal("provider_down") from None
    with _cache_lock:
        _jwks_cache[jwks_uri] = (now, keys)
    return keys


# ---- the flow ----------------------------------------------------------------------------


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _usable(db: Session, contest: Contest) -> IdentityProvider:
    provider = enabled_provider(db, contest)
    if provider is None:
        raise refusal("not_configured")
    if provider.secret_name and read_secret(provider.secret_name) is None:
        raise refusal("secret_missing")
    return provider


def begin(
    db: Session, contest: Contest, *, next_url: str, browser: str, ip: str
) -> tuple[str, str]:
    """Start a sign-in: store state, nonce and PKCE verifier against this browser and return
    (the provider's authorization URL, the browser cookie value)."""
    ratelimit.hit_address(ip, "oidc")
    try:
        provider = _usable(db, contest)
        # Nothing was written: end the read so no pooled connection waits on the provider
        # (a provider that does not answer would otherwise hold one per sign-in for seconds).
        db.commit()
        doc = metadata(provider.issuer)
    except SignInRefused as exc:
        _audit_refusal(db, contest, exc, ip)
        raise
    browser = browser if 20 <= len(browser) <= 64 else generate_token(32)
    state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
    with transaction(db):
        db.add(
            OidcSignIn(
                contest_id=contest.id,
                state_hash=_sha(state),
                browser_hash=_sha(browser),
                nonce=nonce,
                code_verifier=verifier,
                next_url=next_url[:300],
                created_at=clock.now(),
            )
        )
    url = prepare_grant_uri(
        doc["authorization_endpoint"],
        client_id=provider.client_id,
        response_type="code",
        redirect_uri=callback_url(contest),
        scope=provider.scopes,
        state=state,
        nonce=nonce,
        code_challenge=create_s256_code_challenge(verifier),
        code_challenge_method="S256",
    )
    return url, browser


@dataclass
class SignedIn:
    participant: Participant
    token: str
    next_url: str
    linked: bool = False  # an existing password account was linked on this sign-in


@dataclass
class NeedsDetails:
    """Verified, no account yet: the follow-up form asks for what the provider did not give."""

    identity: VerifiedIdentity


def finish(
    db: Session,
    contest: Contest,
    *,
    state: str,
    code: str,
    error: str,
    browser: str,
    ip: str,
    user_agent: str = "",
    device: str = "",
) -> SignedIn | NeedsDetails:
    """The provider sent the browser back: check everything, then sign in, link or ask for the
    missing details. A refusal is audited with its reason and raised as SignInRefused."""
    try:
        ratelimit.hit_address(ip, "oidc")
        return _finish(db, contest, state, code, error, browser, ip, user_agent, device)
    except SignInRefused as exc:
        _audit_refusal(db, contest, exc, ip)
        raise


def _audit_refusal(db: Session, contest: Contest, exc: SignInRefused, ip: str) -> None:
    db.rollback()
    with transaction(db):
        audit.queue(
            db,
            Actor("anonymous", ip=ip),
            "oidc.refused",
            "contest",
            contest.id,
            {"contest": contest.slug, "reason": exc.reason},
        )


def _finish(
    db: Session,
    contest: Contest,
    state: str,
    code: str,
    error: str,
    browser: str,
    ip: str,
    user_agent: str,
    device: str,
) -> SignedIn | NeedsDetails:
    provider = _usable(db, contest)
    row = identity_rows.sign_in_by_state(db, contest.id, _sha(state or ""))
    if row is None or not browser or row.browser_hash != _sha(browser):
        raise refusal("wrong_state")
    # Single use, even when two requests race: only one UPDATE finds used_at empty.
    now = clock.now()
    with transaction(db):
        claimed = cast(
            CursorResult,
            db.execute(
                update(OidcSignIn)
                .where(OidcSignIn.id == row.id, OidcSignIn.used_at.is_(None))
                .values(used_at=now)
            ),
        ).rowcount
    if claimed != 1:
        raise refusal("replayed")
    if now - row.created_at > REQUEST_TTL:
        raise refusal("request_expired")
    if error or not code:
        raise refusal("denied")
    doc = metadata(provider.issuer)
    tokens = _exchange(provider, doc, code, row.code_verifier, callback_url(contest))
    verified = _verify_id_token(provider, doc, tokens, row.nonce)
    merged = _with_user_info(provider, doc, tokens, verified)
    identity = identity_from_claims(merged, mapping_of(provider))
    return _settle(db, contest, provider, row, identity, ip, user_agent, device)


def _exchange(
    provider: IdentityProvider, doc: dict, code: str, verifier: str, redirect_uri: str
) -> dict:
    """Trade the code (and the PKCE verifier) for tokens at the token endpoint."""
    secret = read_secret(provider.secret_name)
    supported = doc.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    if secret is None:
        method = "none"
    elif "client_secret_basic" in supported:
        method = "client_secret_basic"
    else:
        method = "client_secret_post"
    body = httpx.QueryParams(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        }
    )
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "application/json",
    }
    url, headers, text = ClientAuth(provider.client_id, secret, method).prepare(
        "POST", doc["token_endpoint"], headers, str(body)
    )
    try:
        response = httpx.post(url, content=text, headers=headers, timeout=HTTP_TIMEOUT)
    except httpx.HTTPError:
        raise refusal("provider_down") from None
    if response.status_code >= 500:
        raise refusal("provider_down")
    try:
        tokens = response.json()
    except ValueError:
        raise refusal("provider_down") from None
    if response.status_code != 200 or not isinstance(tokens, dict):
        raise refusal("code_rejected")
    if not isinstance(tokens.get("id_token"), str):
        raise refusal("bad_token")
    return tokens


def _verify_id_token(provider: IdentityProvider, doc: dict, tokens: dict, nonce: str) -> dict:
    """Signature against the provider's JWKS (a key id not yet known refetches it once, for
    key rotation), then the OpenID rules: iss, aud, exp, iat, nonce, azp, at_hash."""
    raw = tokens["id_token"]
    try:
        try:
            token = jwt.decode(raw, _keys(doc["jwks_uri"]), algorithms=ALGORITHMS)
        except (BadSignatureError, ValueError, JoseError):
            token = jwt.decode(raw, _keys(doc["jwks_uri"], refresh=True), algorithms=ALGORITHMS)
    except BadSignatureError:
        raise refusal("bad_signature") from None
    except (JoseError, ValueError, KeyError, TypeError):
        # No key for it, an algorithm we do not accept ("none", HS256), or not a JWS at all.
        raise refusal("bad_signature") from None
    claims = CodeIDToken(
        token.claims,
        token.header,
        options={
            "iss": {"essential": True, "value": provider.issuer},
            "aud": {"essential": True, "value": provider.client_id},
        },
        params={
            "nonce": nonce,
            "client_id": provider.client_id,
            "access_token": tokens.get("access_token"),
        },
    )
    try:
        claims.validate(now=int(clock.now().timestamp()), leeway=LEEWAY_SECONDS)
    except ExpiredTokenError:
        raise refusal("expired_token") from None
    except ClaimError as exc:
        reason = {
            "iss": "wrong_issuer",
            "aud": "wrong_audience",
            "azp": "wrong_audience",
            "nonce": "wrong_nonce",
            "exp": "expired_token",
        }.get(exc.claim, "bad_token")
        raise refusal(reason) from None
    except JoseError:
        raise refusal("bad_token") from None
    return dict(claims)


def _with_user_info(provider: IdentityProvider, doc: dict, tokens: dict, claims: dict) -> dict:
    """Providers often give the person's details at the user-info endpoint rather than in the
    ID token: read it when a mapped claim is missing. Its subject must be the token's."""
    wanted = [provider.claim_citizen_id, provider.claim_full_name]
    endpoint = doc.get("userinfo_endpoint")
    access = tokens.get("access_token")
    if all(w.split(".")[0] in claims for w in wanted) or not endpoint or not access:
        return claims
    try:
        response = httpx.get(
            endpoint, headers={"Authorization": f"Bearer {access}"}, timeout=HTTP_TIMEOUT
        )
        response.raise_for_status()
        info: Any = response.json()
    except (httpx.HTTPError, ValueError):
        raise refusal("provider_down") from None
    if not isinstance(info, dict) or info.get("sub") != claims.get("sub"):
        raise refusal("bad_token")
    return {**info, **claims}


def _open(
    db: Session, participant: Participant, ip: str, user_agent: str, device: str, details: dict
) -> str:
    token = sessions.open_session(
        db, participant_id=participant.id, ip=ip, user_agent=user_agent, device=device
    )
    audit.queue(
        db,
        Actor("participant", participant.id, "", ip),
        "participant.sign_in",
        "participant",
        participant.id,
        {"method": "oidc", **details},
    )
    return token


def _settle(
    db: Session,
    contest: Contest,
    provider: IdentityProvider,
    row: OidcSignIn,
    identity: VerifiedIdentity,
    ip: str,
    user_agent: str,
    device: str,
) -> SignedIn | NeedsDetails:
    with transaction(db):
        link = identity_rows.link_of(db, contest.id, provider.issuer, identity.subject)
        if link is not None:
            participant = db.get(Participant, link.participant_id)
            assert participant is not None
            if participant.citizen_id != identity.citizen_id:
                raise refusal("identity_conflict")
            token = _open(db, participant, ip, user_agent, device, {})
            return SignedIn(participant, token, row.next_url)
        holder = identity_rows.participant_by_citizen_id(db, contest.id, identity.citizen_id)
        if holder is not None and same_person(holder.full_name, holder.date_of_birth, identity):
            _link_existing(db, contest, provider, holder, identity, ip)
            token = _open(db, holder, ip, user_agent, device, {"linked": True})
            return SignedIn(holder, token, row.next_url, linked=True)
        # A new account, or a CCCD registered under another person's name: either way the
        # person completes a registration, and the CCCD is theirs when they do.
        row.identity = identity.as_json()
        row.verified_at = clock.now()
        audit.queue(
            db,
            Actor("anonymous", ip=ip),
            "oidc.verified",
            "contest",
            contest.id,
            {"contest": contest.slug, "held_by_other": holder is not None},
        )
        return NeedsDetails(identity)


def _link_existing(
    db: Session,
    contest: Contest,
    provider: IdentityProvider,
    holder: Participant,
    identity: VerifiedIdentity,
    ip: str,
) -> None:
    """The verified person registered this account before (same CCCD, name and birth date).
    The identity wins: the account is linked to it and signs in through the provider from now
    on (its password stops working, so whoever else knew it is out), its other sessions end,
    the name takes the provider's spelling, and the phone and email on file are told."""
    if identity_rows.link_of_participant(db, holder.id) is not None:
        raise refusal("identity_conflict")
    now = clock.now()
    db.add(
        ParticipantIdentity(
            contest_id=contest.id,
            participant_id=holder.id,
            issuer=provider.issuer,
            subject=identity.subject,
            linked_at=now,
        )
    )
    holder.full_name = identity.full_name
    holder.password_hash = NO_PASSWORD
    ended = sessions.end_sessions_of(db, participant_id=holder.id)
    text = identity_linked(messages.names(contest), provider.name_vi, provider.name_en)
    channels = [("sms", holder.phone)] + ([("email", holder.email)] if holder.email else [])
    for channel, address in channels:
        messages.queue_message(
            db, "identity_linked", text, channel=channel, address=address, participant=holder
        )
    db.flush()
    audit.record(
        db,
        Actor("participant", holder.id, "", ip),
        "participant.identity_link",
        "participant",
        holder.id,
        {
            "contest": contest.slug,
            "issuer": provider.issuer,
            "registered_at": holder.registered_at.isoformat(),
            "sessions_ended": ended or 0,
        },
    )


def pending(db: Session, contest: Contest, browser: str) -> tuple[OidcSignIn, VerifiedIdentity]:
    """The verified identity waiting for this browser's follow-up form, or a refusal."""
    row = identity_rows.waiting_sign_in(db, contest.id, _sha(browser)) if browser else None
    if (
        row is None
        or row.verified_at is None
        or row.identity is None
        or clock.now() - row.verified_at > COMPLETION_TTL
    ):
        raise refusal("completion_expired")
    return row, VerifiedIdentity.from_json(row.identity)


def held_by_other(db: Session, contest: Contest, identity: VerifiedIdentity) -> bool:
    """Whether another person's account holds the verified CCCD (shown on the follow-up form)."""
    return identity_rows.participant_by_citizen_id(db, contest.id, identity.citizen_id) is not None


def complete_registration(
    db: Session,
    contest: Contest,
    *,
    browser: str,
    data: CompletionInput,
    ip: str,
    user_agent: str = "",
    device: str = "",
) -> SignedIn:
    """Make the verified person's account from the provider's claims and the follow-up form,
    in one transaction. Where another account holds the CCCD under another name, a claim is
    filed for the verified person and upheld at once (the verified identity wins; the
    committee sees it among its claims): that account loses the CCCD as any upheld claim
    makes it, and the new account takes it."""
    row, identity = pending(db, contest, browser)
    provider = _usable(db, contest)
    if not contest.registration_open:
        raise ContestError("Cuộc thi đã đóng đăng ký.", "Registration for this contest is closed.")
    valid = check_completion(
        identity, data, EntryRules(contest.min_age, contest.age_cutoff), clock.today_local()
    )
    unit = accounts.registration_unit(db, contest, valid.unit_code)
    actor = Actor("anonymous", ip=ip, label="oidc")
    with transaction(db):
        if identity_rows.phone_used_by_another(db, contest.id, valid.phone, identity.citizen_id):
            raise InvalidInput(
                [
                    ContestError(
                        "Số điện thoại này đã được dùng cho một tài khoản khác trong cuộc thi; "
                        "hãy dùng số của bạn.",
                        "This phone number is used by another account in the contest; use "
                        "your own number.",
                        field="phone",
                    )
                ]
            )
        holder = identity_rows.participant_by_citizen_id(db, contest.id, identity.citizen_id)
        if holder is not None:
            claims.uphold_for_verified_identity(
                db,
                actor,
                contest,
                holder,
                full_name=identity.full_name,
                phone=valid.phone,
                email=valid.email,
                evidence=(
                    f"Số CCCD đã được {provider.name_vi} xác thực cho {identity.full_name} "
                    f"(issuer {provider.issuer}) / The CCCD was verified by {provider.name_en}."
                ),
            )
        now = clock.now()
        participant = Participant(
            contest_id=contest.id,
            full_name=identity.full_name,
            date_of_birth=valid.date_of_birth,
            gender=identity.gender,
            citizen_id=identity.citizen_id,
            phone=valid.phone,
            email=valid.email or identity.email,
            unit_id=unit.id,
            password_hash=NO_PASSWORD,
            consent_version=CONSENT_VERSION,
            consent_at=now,
            registered_at=now,
        )
        db.add(participant)
        db.flush()
        db.add(
            ParticipantIdentity(
                contest_id=contest.id,
                participant_id=participant.id,
                issuer=provider.issuer,
                subject=identity.subject,
                linked_at=now,
            )
        )
        row.identity = None  # the claims now live in the account, and nowhere else
        row.completed_at = now
        audit.record(
            db,
            Actor("participant", participant.id, "", ip),
            "participant.register",
            "participant",
            participant.id,
            {
                "contest": contest.slug,
                "unit": unit.code,
                "consent_version": CONSENT_VERSION,
                "method": "oidc",
                "issuer": provider.issuer,
                "citizen_id_taken_back": holder is not None,
            },
        )
        token = _open(db, participant, ip, user_agent, device, {"registered": True})
    return SignedIn(participant, token, row.next_url)


@transactional
def purge_old_sign_ins(db: Session) -> int:
    """Sign-ins older than the follow-up form's time, with the verified details an abandoned
    one still holds (housekeeping: personal data kept no longer than needed)."""
    old = identity_rows.sign_ins_before(db, clock.now() - COMPLETION_TTL - REQUEST_TTL)
    for row in old:
        db.delete(row)
    return len(old)

"""A small real OpenID provider for the tests: an HTTP server in a thread serving discovery,
JWKS, an authorize endpoint that approves its current user at once, the token endpoint (codes
single use, PKCE S256 checked, client secret checked) and user info. ID tokens are signed
RS256 with a key made at start. `misbehave` makes it issue a bad token on purpose."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

CLIENT_ID = "contest-test-client"
CLIENT_SECRET = "s3cret-of-the-test-client"

USER = {
    "sub": "vneid-0001",
    "citizen_id": "020190012345",
    "name": "Nguyễn Thị Hoà Bình",
    "birthdate": "1990-08-15",
    "phone_number": "0912345678",
}


class Provider:
    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig"})
        self.other_key = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig"})
        self.user: dict = dict(USER)
        self.misbehave: str = ""  # bad_signature | wrong_audience | expired | wrong_nonce | …
        self.codes: dict[str, dict] = {}
        self.used: set[str] = set()
        self.requests: list[tuple[str, str]] = []
        self.client_secret = CLIENT_SECRET
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> Provider:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- the documents ---------------------------------------------------------------------

    def discovery(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        }

    def id_token(self, grant: dict) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
            **grant["user"],
        }
        key = self.key
        if self.misbehave == "bad_signature":
            key = self.other_key
        elif self.misbehave == "wrong_audience":
            claims["aud"] = "another-application"
        elif self.misbehave == "expired":
            claims["iat"], claims["exp"] = now - 3600, now - 1800
        elif self.misbehave == "wrong_nonce":
            claims["nonce"] = "not-the-nonce-sent"
        elif self.misbehave == "wrong_issuer":
            claims["iss"] = "http://127.0.0.1:1"
        if self.misbehave == "unsigned":  # alg "none": must never be accepted

            def part(data: dict) -> str:
                return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

            return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."
        return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)

    # -- HTTP --------------------------------------------------------------------------------

    def _handler(self):
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def _json(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                provider.requests.append(("GET", url.path))
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/.well-known/openid-configuration":
                    self._json(200, provider.discovery())
                elif url.path == "/jwks":
                    self._json(200, KeySet([provider.key]).as_dict(private=False))
                elif url.path == "/authorize":
                    self._authorize(query)
                elif url.path == "/userinfo":
                    user = dict(provider.user)
                    if provider.misbehave == "missing_citizen_id":
                        user.pop("citizen_id", None)
                    self._json(200, user)
                else:
                    self._json(404, {"error": "not_found"})

            def _authorize(self, query: dict) -> None:
                if (
                    query.get("client_id") != CLIENT_ID
                    or query.get("response_type") != "code"
                    or query.get("code_challenge_method") != "S256"
                    or not query.get("code_challenge")
                    or "openid" not in query.get("scope", "").split()
                ):
                    self._json(400, {"error": "invalid_request"})
                    return
                target = query["redirect_uri"]
                if provider.misbehave == "deny":
                    answer = {"error": "access_denied", "state": query["state"]}
                else:
                    code = secrets.token_urlsafe(16)
                    user = dict(provider.user)
                    if provider.misbehave in ("missing_citizen_id", "details_in_userinfo"):
                        # Not in the ID token: the client must read the user-info endpoint.
                        user.pop("citizen_id", None)
                    provider.codes[code] = {
                        "redirect_uri": target,
                        "nonce": query.get("nonce", ""),
                        "challenge": query["code_challenge"],
                        "user": user,
                    }
                    answer = {"code": code, "state": query["state"]}
                self.send_response(302)
                self.send_header("Location", f"{target}?{urlencode(answer)}")
                self.end_headers()

            def do_POST(self) -> None:
                url = urlsplit(self.path)
                provider.requests.append(("POST", url.path))
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if url.path != "/token":
                    self._json(404, {"error": "not_found"})
                    return
                client_id, secret = form.get("client_id"), form.get("client_secret")
                header = self.headers.get("Authorization", "")
                if header.startswith("Basic "):
                    client_id, _, secret = base64.b64decode(header[6:]).decode().partition(":")
                if client_id != CLIENT_ID or secret != provider.client_secret:
                    self._json(401, {"error": "invalid_client"})
                    return
                code = form.get("code", "")
                grant = provider.codes.get(code)
                if grant is None or code in provider.used:
                    self._json(400, {"error": "invalid_grant"})
                    return
                provider.used.add(code)
                challenge = (
                    base64.urlsafe_b64encode(
                        hashlib.sha256(form.get("code_verifier", "").encode()).digest()
                    )
                    .rstrip(b"=")
                    .decode()
                )
                if (
                    challenge != grant["challenge"]
                    or form.get("redirect_uri") != grant["redirect_uri"]
                ):
                    self._json(400, {"error": "invalid_grant"})
                    return
                self._json(
                    200,
                    {
                        "access_token": secrets.token_urlsafe(24),
                        "token_type": "Bearer",
                        "expires_in": 300,
                        "id_token": provider.id_token(grant),
                    },
                )

        return Handler

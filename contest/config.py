"""Settings read from CONTEST_* environment variables (and an optional .env file)."""

from __future__ import annotations

import os
import secrets
import time
from functools import lru_cache
from pathlib import Path

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONTEST_", env_file=".env", extra="ignore")

    database_url: str = f"sqlite:///{PROJECT_DIR / 'var' / 'contest.db'}"
    # Empty means: generate one and keep it in var/secret_key so restarts keep sessions valid.
    secret_key: str = ""
    base_url: str = "http://127.0.0.1:8000"
    cookie_secure: bool = True
    session_days: int = 14
    default_language: str = "vi"
    # memory:// is per process; production with several workers uses redis://127.0.0.1:6379
    rate_limit_storage: str = "memory://"
    # Sign-in delays (domain/login_throttle.py): never a lock. A few free failures per
    # (account, address), then 1, 2, 4 ... seconds up to the cap; the same across all
    # addresses after more failures; a browser where the account signed in before (device
    # cookie) is not slowed by failures made elsewhere.
    login_window_minutes: int = 15
    login_free_per_address: int = 5
    login_free_per_account: int = 20
    login_max_delay_seconds: int = 300
    login_device_failures: int = 10
    login_alert_at: int = 20
    device_cookie_days: int = 365
    # A school lab or a commune office shares one address: keep the address limit generous.
    login_limit_per_address: str = "300/5 minutes"
    # OWASP minimum for argon2id (t=2, m=19 MiB, p=1): ~25 ms a hash on one core.
    argon2_time_cost: int = 2
    argon2_memory_kib: int = 19456
    argon2_parallelism: int = 1
    max_concurrent_hashes: int = 2
    demo_dir: Path = PROJECT_DIR / "question_banks" / "lang-son-2023"
    upload_max_bytes: int = 20 * 1024 * 1024
    # Worker threads per process for the synchronous endpoints, and the connections they
    # share: the pool covers every thread, so a thread never waits for a connection. Few: a
    # request holds its thread for a millisecond or two, and more threads than that only take
    # turns on the GIL (measured here, 2 workers on 2 cores: 20 threads served 1,300-1,500
    # saves/s and 63 start sequences/s, 8 threads 1,600 and 78, 4 threads 1,635 and 85).
    worker_threads: int = 8
    db_pool_size: int = 8
    db_max_overflow: int = 5
    # A ping on every checkout costs a round trip per request; without it a connection broken
    # by a database restart fails one request, and SQLAlchemy then replaces the whole pool.
    db_pre_ping: bool = False
    # PostgreSQL: how long a new connection may take (libpq counts whole seconds, at least 2),
    # for the application's engine and for the answer saves' own connection
    # (services/save_batches.py). Without it, a database host that does not answer holds every
    # request for about two minutes (the system's TCP retries); past it, a page says the system
    # is busy (503) and a save waiting on it goes to the full path, which stores it or says so.
    db_connect_timeout_seconds: int = 3
    # The earlier name of the same setting (it covered the saves' connection only): when it is
    # set and the new name is not, it is used for both.
    save_connect_timeout_seconds: int | None = None
    # How long a request waits for a connection from the pool when every one is in use.
    db_pool_timeout_seconds: float = 10
    # PostgreSQL: the longest a statement of a web request may run (statement_timeout, set when
    # the web processes' connections open; the saves' connection too), in seconds; 0: no limit.
    # A request that hits it is answered "the system is busy" (503) instead of holding its
    # thread and connection; under nginx's proxy_read_timeout (60 s, docs/deploy.md), so the
    # person sees that page rather than the proxy's. Job workers, migrations and the command line have no limit: a big
    # import, an export or a certificate job may rightly run for minutes.
    db_statement_timeout_seconds: float = 30
    # Re-read changed templates (development, `contest serve --reload`); in production each
    # render would otherwise stat its template files.
    template_auto_reload: bool = False
    # The waiting room for starts (domain/admission.py): each process lets starts through at a
    # rate that adapts to the p95 of start and save latency against these targets; people beyond
    # it wait on a light page, first come first served across processes (services/admission.py).
    admission_enabled: bool = True
    admission_initial_rate: float = 20.0
    admission_max_rate: float = 400.0
    admission_start_target_ms: float = 250.0
    admission_save_target_ms: float = 60.0
    admission_max_concurrent: int = 3
    admission_ticket_ttl_seconds: float = 45.0
    # How often each server process scores abandoned attempts; 0 turns it off.
    sweep_interval_seconds: int = 60
    # How often each server process chains queued audit entries (starts, submits, sign-ins);
    # 0 turns it off. Until sealed, a queued entry is not yet covered by the hash chain.
    audit_seal_interval_seconds: int = 2
    # The Ed25519 key that signs the audit chain's head at every seal. Keep it outside the
    # database (and off the database's backups); generated here for `make run`.
    audit_signing_key_file: Path = PROJECT_DIR / "var" / "audit_signing_key.pem"
    # The job queue (Huey). Empty: a SQLite file beside the database, served by a worker that
    # `contest serve` starts beside itself. redis://host:6379/0 when workers run on other hosts.
    queue_url: str = ""
    queue_name: str = "contest"
    # A running job renews its lease with every step; one whose lease ran out (its worker was
    # killed) is queued again, up to job_max_attempts runs in all.
    job_lease_seconds: int = 60
    job_max_attempts: int = 3
    # How often a worker looks for jobs left behind by a dead worker or a lost queue message.
    job_recover_interval_seconds: int = 15
    # Certificates issued per committed step of an issue job (the unit a killed job resumes from).
    certificate_job_batch: int = 200
    # Whether `contest serve` starts a worker beside itself; empty: only with the SQLite queue.
    serve_worker: bool | None = None

    # redis://… shares cache invalidation (the public results page) between app processes and
    # hosts; empty: each process invalidates only its own copy (one process, make run).
    cache_url: str = ""
    # Where uploads and built files live so that every host reads them: "database" (the
    # default: chunks in the database). Object storage would be a second FileStore backend.
    storage_url: str = "database"
    # Client secrets of the contests' OpenID providers, one file per secret name (the database
    # holds only the name); CONTEST_OIDC_SECRET_<NAME> in the environment wins over the file.
    oidc_secrets_dir: Path = PROJECT_DIR / "var" / "oidc-secrets"

    # Who may read /metrics: addresses or networks (comma-separated), or anyone sending
    # `Authorization: Bearer <metrics_token>`. Behind a proxy the address is the proxy's unless
    # it is in --forwarded-allow-ips, so a token is the safer choice there.
    metrics_allow: str = "127.0.0.1,::1"
    metrics_token: str = ""
    # Log lines: "json" (one object a line, with the request id), "text" (readable), or "auto":
    # JSON unless the output is a terminal.
    log_format: str = "auto"
    # How often each web process adds its live counters (saves, requests, errors) to the
    # database for the organisers' live page; 0: only when the page is read (tests).
    live_flush_seconds: float = 5.0
    # Messages (services/messages.py): email over SMTP, SMS through one HTTP gateway. Empty host
    # or URL: that channel is not configured, and its messages wait in the outbox.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = ""  # e.g. "Ban Tổ chức cuộc thi <no-reply@thi.example.gov.vn>"
    smtp_tls: str = "starttls"  # starttls | ssl | none
    smtp_timeout_seconds: float = 20
    # The shape Vietnamese brand-name SMS providers use: a POST of a body template with
    # {phone} (0912345678), {phone84} (84912345678), {text}, {brandname} and {id} filled in
    # (JSON-escaped in a JSON body, URL-encoded in a form body); an auth header, or basic auth.
    sms_gateway_url: str = ""
    sms_auth_header: str = ""  # "Authorization: Bearer …" or "X-Api-Key: …"
    sms_username: str = ""
    sms_password: str = ""
    sms_content_type: str = "application/json"
    sms_body_template: str = (
        '{"to": "{phone84}", "from": "{brandname}", "text": "{text}", "ref": "{id}"}'
    )
    sms_brandname: str = ""
    # Providers often answer 200 with their own code in the body ("CodeResult":"100"): a
    # regular expression the body must match to count as sent. Empty: any 2xx is sent.
    sms_success_pattern: str = ""
    sms_timeout_seconds: float = 15
    # Unaccented text (a brand-name route that takes only GSM characters: 160 a part, not 70).
    sms_ascii_only: bool = False
    # A failed send is tried again after 1, 2, 4 … times this, up to message_max_attempts tries.
    message_max_attempts: int = 5
    message_retry_seconds: int = 60
    # How often a worker sends due messages, and looks for rounds opening or closing (0: off).
    outbox_interval_seconds: int = 5
    message_schedule_interval_seconds: int = 300
    # Password resets: how long a link sent by email and a code (SMS, helpdesk) stay usable,
    # and how many resets one account or one address may ask for.
    reset_link_minutes: int = 30
    reset_code_minutes: int = 15
    reset_helpdesk_minutes: int = 60
    reset_limit_per_account: str = "5/hour"
    reset_limit_per_address: str = "30/15 minutes"

    # The public API (/api/v1) and its downloads: requests per address, and the licence that
    # every open-data response and file states (attribution: empty means the contest's organiser).
    api_limit_per_address: str = "120/minute"
    open_data_licence: str = "CC BY 4.0"
    open_data_licence_url: str = "https://creativecommons.org/licenses/by/4.0/"
    open_data_attribution: str = ""
    # Results export tokens for province systems: the longest lifetime an administrator may set.
    api_token_max_days: int = 366

    @model_validator(mode="after")
    def _earlier_names(self) -> Settings:
        if (
            self.save_connect_timeout_seconds is not None
            and "db_connect_timeout_seconds" not in self.model_fields_set
        ):
            self.db_connect_timeout_seconds = self.save_connect_timeout_seconds
        return self

    def resolved_queue_url(self) -> str:
        return self.queue_url or f"sqlite:///{PROJECT_DIR / 'var' / 'queue.db'}"

    def resolved_secret_key(self) -> str:
        if not self.secret_key:
            # Read once per process: every CSRF token is an HMAC with it.
            self.secret_key = _key_from_file(PROJECT_DIR / "var" / "secret_key")
        return self.secret_key


def _key_from_file(key_file: Path) -> str:
    """Create the key file exclusively and private from the first byte, so two workers
    starting together agree on one key and nobody can read it in between."""
    key_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(key_file, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48))
    for _ in range(50):  # another process may be between creating and writing the file
        key = key_file.read_text().strip()
        if key:
            return key
        time.sleep(0.01)
    raise RuntimeError(f"{key_file} is empty")


@lru_cache
def get_settings() -> Settings:
    return Settings()


def follow_served_address(host: str, port: int) -> str:
    """The public address when CONTEST_BASE_URL is not set (environment or .env): the one
    `contest serve` listens on, so certificates' QR codes and links point at this server
    (`make run PORT=8101` → http://127.0.0.1:8101). Set in the environment, so the server's
    processes and the job worker started beside it agree. Returns the address in force."""
    settings = get_settings()
    if "base_url" in settings.model_fields_set:
        return settings.base_url
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    if ":" in shown:
        shown = f"[{shown}]"
    os.environ["CONTEST_BASE_URL"] = f"http://{shown}:{port}"
    get_settings.cache_clear()
    return get_settings().base_url

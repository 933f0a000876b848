"""The outbox, owner of messages: what is owed to whom and on which channel, consent honoured
(Decree 13/2023), each message sent by a worker with retries and every try recorded.

A message is queued in the caller's transaction (`queue_message`), so it exists exactly when
what it tells about was committed. Workers send due messages (`send_due`, a periodic task; and
`dispatch` right after a commit for the ones people wait for, like a reset code). Sending never
holds a database transaction open: a worker takes the message by moving its due time forward
by a lease (so no other worker takes it), talks to the server, then records the outcome.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import cast

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import CursorResult, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contest import clock
from contest.config import Settings, get_settings
from contest.db import transactional
from contest.delivery import Delivered, DeliveryError, Outgoing, sms, smtp
from contest.domain import messages as texts
from contest.domain.errors import ContestError, NotFound
from contest.domain.outbox import next_try
from contest.models import Contest, Notice, NoticeAttempt, Participant
from contest.models.notices import NOTICE_STATES
from contest.repositories import messages as rows
from contest.services import audit
from contest.services.context import Actor

log = logging.getLogger("contest.messages")

CHANNELS = ("email", "sms")
# A worker that took a message and died: the message is due again after this.
SEND_LEASE = timedelta(minutes=5)
_UNSUBSCRIBE_SALT = "contest.messages.unsubscribe"

Sender = Callable[[Outgoing], Delivered]


# --- what is sent ------------------------------------------------------------------------------


def names(contest: Contest) -> texts.ContestNames:
    return texts.ContestNames(contest.title_vi, contest.title_en or contest.title_vi, contest.slug)


def link(path: str) -> str:
    return get_settings().base_url.rstrip("/") + path


def unsubscribe_token(participant_id: int) -> str:
    return _serializer().dumps({"p": participant_id})


def unsubscribe_url(participant_id: int) -> str:
    return link(f"/messages/unsubscribe/{unsubscribe_token(participant_id)}")


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(get_settings().resolved_secret_key(), salt=_UNSUBSCRIBE_SALT)


def configured_channels(settings: Settings | None = None) -> set[str]:
    settings = settings or get_settings()
    found = set()
    if settings.smtp_host and settings.smtp_from:
        found.add("email")
    if settings.sms_gateway_url:
        found.add("sms")
    return found


def news_channels(participant: Participant) -> list[tuple[str, str]]:
    """Where news of the contest goes: email where the person gave one (free), otherwise SMS
    where a gateway is configured; nowhere else."""
    if participant.email:
        return [("email", participant.email)]
    if "sms" in configured_channels():
        return [("sms", participant.phone)]
    return []


def queue_message(
    db: Session,
    kind: str,
    text: texts.MessageText,
    *,
    channel: str,
    address: str,
    contest_id: int | None = None,
    participant: Participant | None = None,
    staff_user_id: int | None = None,
    dedupe_key: str | None = None,
) -> Notice | None:
    """Add one message to the caller's transaction. None when the person opted out of news
    (essential messages go anyway) or a message with this `dedupe_key` exists already."""
    if kind not in texts.KINDS or channel not in CHANNELS:
        raise ValueError(f"unknown message kind or channel: {kind!r}, {channel!r}")
    essential = kind in texts.ESSENTIAL_KINDS
    if participant is not None and not essential:
        if not participant.messages_consent:
            return None
        text = texts.with_unsubscribe(text, unsubscribe_url(participant.id))
    if dedupe_key is not None and rows.dedupe_key_taken(db, dedupe_key):
        return None
    now = clock.now()
    notice = Notice(
        contest_id=contest_id
        if contest_id is not None
        else getattr(participant, "contest_id", None),
        participant_id=participant.id if participant is not None else None,
        staff_user_id=staff_user_id,
        channel=channel,
        address=address,
        kind=kind,
        subject_vi=text.subject_vi[:200],
        subject_en=text.subject_en[:200],
        message_vi=text.body_vi,
        message_en=text.body_en,
        essential=essential,
        dedupe_key=dedupe_key,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        last_error="",
        created_at=now,
    )
    try:
        with db.begin_nested():
            db.add(notice)
            db.flush()
    except IntegrityError:
        # Another worker queued the same key in between: the unique key decided.
        return None
    return notice


def to_participant(
    db: Session,
    participant: Participant,
    kind: str,
    text: texts.MessageText,
    *,
    dedupe_key: str | None = None,
) -> list[Notice]:
    """News for a participant on their news channel (see `news_channels`), consent honoured."""
    queued = []
    # One news channel at most, so the key is the person's, whichever channel carries it.
    for channel, address in news_channels(participant):
        notice = queue_message(
            db,
            kind,
            text,
            channel=channel,
            address=address,
            participant=participant,
            dedupe_key=dedupe_key,
        )
        if notice is not None:
            queued.append(notice)
    return queued


# --- sending -----------------------------------------------------------------------------------


def outgoing(notice: Notice) -> Outgoing:
    """SMS carries the Vietnamese text (one message, one language: a part costs money); email
    both languages, Vietnamese first."""
    unsubscribe = (
        unsubscribe_url(notice.participant_id)
        if notice.participant_id is not None and not notice.essential
        else None
    )
    if notice.channel == "sms":
        return Outgoing(notice.id, "sms", notice.address, "", notice.message_vi, unsubscribe)
    subject = notice.subject_vi
    if notice.subject_en and notice.subject_en != notice.subject_vi:
        subject = f"{notice.subject_vi} / {notice.subject_en}"
    body = f"{notice.message_vi}\n\n— English —\n\n{notice.message_en}\n"
    return Outgoing(notice.id, "email", notice.address, subject, body, unsubscribe)


def sender_for(channel: str, settings: Settings | None = None) -> Sender | None:
    """The sender configured for `channel`, or None (its messages wait)."""
    s = settings or get_settings()
    if channel not in configured_channels(s):
        return None
    if channel == "email":
        email_config = smtp.SmtpConfig(
            host=s.smtp_host,
            port=s.smtp_port,
            user=s.smtp_user,
            password=s.smtp_password,
            sender=s.smtp_from,
            tls=s.smtp_tls,
            timeout=s.smtp_timeout_seconds,
        )
        return lambda message: smtp.send(email_config, message)
    sms_config = sms.SmsGatewayConfig(
        url=s.sms_gateway_url,
        body_template=s.sms_body_template,
        content_type=s.sms_content_type,
        auth_header=s.sms_auth_header,
        username=s.sms_username,
        password=s.sms_password,
        brandname=s.sms_brandname,
        success_pattern=s.sms_success_pattern,
        timeout=s.sms_timeout_seconds,
        ascii_only=s.sms_ascii_only,
    )
    return lambda message: sms.send(sms_config, message)


def _take(db: Session, notice_id: int) -> bool:
    """Take a due message for this worker by moving its due time past a lease."""
    now = clock.now()
    result = cast(
        CursorResult,
        db.execute(
            update(Notice)
            .where(
                Notice.id == notice_id,
                Notice.status == "pending",
                Notice.next_attempt_at <= now,
            )
            .values(next_attempt_at=now + SEND_LEASE)
            .execution_options(synchronize_session=False)
        ),
    )
    db.commit()
    return result.rowcount == 1


def deliver(db: Session, notice_id: int) -> str | None:
    """Send one due message and record the try: 'sent', 'retry', 'failed', or None when it was
    not due, taken by another worker, or its channel has no sender configured."""
    notice = db.get(Notice, notice_id)
    if notice is None:
        return None
    sender = sender_for(notice.channel)
    if sender is None or not _take(db, notice_id):
        return None
    db.refresh(notice)
    message = outgoing(notice)
    started = time.monotonic()
    error, detail = "", ""
    try:
        detail = sender(message).detail
    except DeliveryError as exc:
        error = str(exc)
    except Exception as exc:
        log.exception("sending message %s", notice_id)
        error = f"{type(exc).__name__}: {exc}"
    elapsed = int((time.monotonic() - started) * 1000)
    return _record(db, notice, error, detail, elapsed)


@transactional
def _record(db: Session, notice: Notice, error: str, detail: str, elapsed_ms: int) -> str:
    now = clock.now()
    db.add(
        NoticeAttempt(
            notice_id=notice.id,
            at=now,
            outcome="error" if error else "sent",
            error=error[:2000],
            detail=detail[:300],
            duration_ms=elapsed_ms,
        )
    )
    notice.attempts += 1
    if not error:
        notice.status, notice.sent_at, notice.next_attempt_at = "sent", now, None
        return "sent"
    notice.last_error = error[:2000]
    settings = get_settings()
    wait = next_try(
        notice.attempts,
        settings.message_max_attempts,
        timedelta(seconds=max(1, settings.message_retry_seconds)),
    )
    if wait is not None:
        notice.next_attempt_at = now + wait
        return "retry"
    notice.status, notice.next_attempt_at = "failed", None
    audit.record(
        db,
        Actor("system", label="outbox"),
        "message.failed",
        "notice",
        notice.id,
        {"kind": notice.kind, "channel": notice.channel, "attempts": notice.attempts},
    )
    return "failed"


@dataclass
class SendReport:
    sent: int = 0
    retry: int = 0
    failed: int = 0
    skipped: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "sent": self.sent,
            "retry": self.retry,
            "failed": self.failed,
            "skipped": self.skipped,
        }


def send_due(db: Session, limit: int = 200) -> SendReport:
    """Send the messages that are due, oldest first (the workers' periodic task)."""
    report = SendReport()
    ids = rows.due_ids(db, clock.now(), configured_channels(), limit)
    db.commit()
    for notice_id in ids:
        outcome = deliver(db, notice_id)
        if outcome is None:
            report.skipped += 1
        else:
            setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def _not_connected(notice_id: int) -> None:
    log.debug("message %s committed; the periodic send will take it", notice_id)


# Set by the process that owns the queue (contest.queue.connect): hands a committed message to
# a worker at once, for the ones a person is waiting for (a reset code).
dispatcher: Callable[[int], None] = _not_connected


def dispatch(notices: Iterable[Notice | None]) -> None:
    """After the commit: send these now rather than at the next periodic send."""
    for notice in notices:
        if notice is None:
            continue
        try:
            dispatcher(notice.id)
        except Exception:
            log.exception("could not hand message %s to the queue", notice.id)


# --- the admins' outbox and consent ------------------------------------------------------------


@dataclass(frozen=True)
class OutboxRow:
    notice: Notice
    attempts: list[NoticeAttempt]


def outbox(
    db: Session, *, status: str | None = None, kind: str | None = None, limit: int = 200
) -> list[OutboxRow]:
    found = rows.notices(db, status=status or None, kind=kind or None, limit=limit)
    attempts = rows.attempts_of(db, [n.id for n in found])
    return [OutboxRow(n, attempts[n.id]) for n in found]


def status_counts(db: Session) -> dict[str, int]:
    counts = rows.counts_by_status(db)
    return {state: counts.get(state, 0) for state in NOTICE_STATES}


@transactional
def retry(db: Session, actor: Actor, notice_id: int) -> Notice:
    """Send a failed message again (after the server or gateway was fixed): a fresh round of tries."""
    notice = db.get(Notice, notice_id)
    if notice is None:
        raise NotFound("Không tìm thấy tin nhắn.", "Message not found.")
    if notice.status != "failed":
        raise ContestError(
            "Chỉ gửi lại được tin nhắn đã thất bại.", "Only a failed message can be sent again."
        )
    notice.status, notice.attempts, notice.next_attempt_at = "pending", 0, clock.now()
    audit.record(db, actor, "message.retry", "notice", notice.id, {"kind": notice.kind})
    return notice


def participant_for_unsubscribe(db: Session, token: str) -> Participant:
    try:
        data = _serializer().loads(token)
    except BadSignature as exc:
        raise NotFound(
            "Liên kết ngừng nhận tin không hợp lệ.", "This unsubscribe link is not valid."
        ) from exc
    participant = db.get(Participant, int(data.get("p", 0))) if isinstance(data, dict) else None
    if participant is None:
        raise NotFound(
            "Liên kết ngừng nhận tin không hợp lệ.", "This unsubscribe link is not valid."
        )
    return participant


@transactional
def unsubscribe(db: Session, token: str, ip: str) -> Participant:
    """Withdraw consent to news of the contest (the link in every non-essential message).
    Pending news to the person is dropped; reset codes and security notices still go."""
    participant = participant_for_unsubscribe(db, token)
    if participant.messages_consent:
        participant.messages_consent = False
        participant.messages_consent_at = clock.now()
        db.execute(
            update(Notice)
            .where(
                Notice.participant_id == participant.id,
                Notice.status == "pending",
                Notice.essential.is_(False),
            )
            .values(status="cancelled", last_error="unsubscribed", next_attempt_at=None)
            .execution_options(synchronize_session=False)
        )
        audit.record(
            db,
            Actor("participant", participant.id, "", ip),
            "messages.unsubscribe",
            "participant",
            participant.id,
        )
    return participant


@transactional
def set_consent(db: Session, actor: Actor, participant: Participant, consent: bool) -> None:
    """The participant's own choice on their page (given again after unsubscribing)."""
    if participant.messages_consent != consent:
        participant.messages_consent = consent
        participant.messages_consent_at = clock.now()
        audit.record(
            db, actor, "messages.consent", "participant", participant.id, {"consent": consent}
        )

"""News that falls due by itself: a round opens, a round closes within 24 hours (for those who
have not finished it), results are published, a certificate is issued. A worker's periodic task
runs `queue_due_news`; every message has a key (kind, subject, person), so running it any number
of times, on any number of workers, sends each message once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.orm import Session

from contest import clock
from contest.db import transaction
from contest.domain import messages as texts
from contest.models import Contest, Participant, Round
from contest.repositories import messages as rows
from contest.services import messages

# A round that opened longer ago than this is old news (the worker was down, or the feature
# was just switched on): nobody is told about it.
OPENING_NEWS_FOR = timedelta(hours=24)
CLOSING_WARNING = timedelta(hours=24)
# Results and certificates are announced when they appeared within this window.
ANNOUNCE_WITHIN = timedelta(days=7)


@dataclass
class ScheduleReport:
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, n: int) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + n


def _round_link(contest: Contest) -> str:
    return messages.link(f"/c/{contest.slug}/rounds")


def _announce(
    db: Session,
    people: list[Participant],
    kind: str,
    text: texts.MessageText,
    key_prefix: str,
) -> int:
    queued = 0
    with transaction(db):
        for person in people:
            queued += len(
                messages.to_participant(
                    db, person, kind, text, dedupe_key=f"{key_prefix}{person.id}"
                )
            )
    return queued


def _round_names(rnd: Round) -> tuple[str, str]:
    return rnd.title_vi, rnd.title_en or rnd.title_vi


def queue_due_news(db: Session) -> ScheduleReport:
    """Queue every piece of news that is due and not yet queued; one transaction per batch."""
    now = clock.now()
    report = ScheduleReport()
    contests: dict[int, Contest | None] = {}

    def contest_of(contest_id: int) -> Contest | None:
        if contest_id not in contests:
            contests[contest_id] = db.get(Contest, contest_id)
        return contests[contest_id]

    for rnd in rows.rounds_opened_between(db, now - OPENING_NEWS_FOR, now):
        contest = contest_of(rnd.contest_id)
        if contest is None:
            continue
        prefix = f"round_opens:{rnd.id}:"
        title_vi, title_en = _round_names(rnd)
        text = texts.round_opens(
            messages.names(contest),
            title_vi,
            title_en,
            clock.to_local(rnd.closes_at),
            _round_link(contest),
        )
        people = rows.consenting_without_key(db, contest.id, prefix)
        report.add("round_opens", _announce(db, people, "round_opens", text, prefix))

    for rnd in rows.rounds_closing_between(db, now, now + CLOSING_WARNING):
        contest = contest_of(rnd.contest_id)
        if contest is None:
            continue
        prefix = f"round_closing:{rnd.id}:"
        title_vi, title_en = _round_names(rnd)
        text = texts.round_closing(
            messages.names(contest),
            title_vi,
            title_en,
            clock.to_local(rnd.closes_at),
            _round_link(contest),
        )
        people = rows.consenting_without_key(db, contest.id, prefix, unfinished_round_id=rnd.id)
        report.add("round_closing", _announce(db, people, "round_closing", text, prefix))

    for contest_id, round_id in rows.published_result_scopes(db, now - ANNOUNCE_WITHIN):
        contest = contest_of(contest_id)
        if contest is None:
            continue
        prefix = f"results_published:{contest_id}:{round_id or 'all'}:"
        text = texts.results_published(
            messages.names(contest), messages.link(f"/c/{contest.slug}/results")
        )
        people = rows.consenting_without_key(db, contest_id, prefix)
        report.add("results_published", _announce(db, people, "results_published", text, prefix))

    for certificate in rows.certificates_to_announce(db, now - ANNOUNCE_WITHIN):
        contest = contest_of(certificate.contest_id)
        person = (
            db.get(Participant, certificate.participant_id)
            if certificate.participant_id is not None
            else None
        )
        if contest is None or person is None:
            continue
        text = texts.certificate_ready(
            messages.names(contest), certificate.code, certificate.verification_url
        )
        key = f"certificate_ready:{certificate.id}"
        with transaction(db):
            queued = messages.to_participant(db, person, "certificate_ready", text, dedupe_key=key)
        report.add("certificate_ready", len(queued))
    db.commit()
    return report

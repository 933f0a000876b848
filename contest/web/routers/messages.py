"""A person's choice about messages: the one-click unsubscribe page, and the switch on their page."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from contest.services import contests, messages
from contest.services.sessions import Principal
from contest.web.deps import actor_for, client_ip, get_db, require_participant
from contest.web.routers.participant import own_contest
from contest.web.templating import render

router = APIRouter()


@router.get("/messages/unsubscribe/{token}")
def unsubscribe_page(request: Request, token: str, db: Session = Depends(get_db)):
    # A GET only asks: mail scanners open every link, and must not unsubscribe anyone.
    participant = messages.participant_for_unsubscribe(db, token)
    contest = contests.find(db, participant.contest_id)
    return render(
        request,
        "messages/unsubscribe.html",
        {"token": token, "contest": contest, "done": not participant.messages_consent},
    )


@router.post("/messages/unsubscribe/{token}")
def unsubscribe(request: Request, token: str, db: Session = Depends(get_db)):
    participant = messages.unsubscribe(db, token, client_ip(request))
    contest = contests.find(db, participant.contest_id)
    return render(
        request, "messages/unsubscribe.html", {"token": token, "contest": contest, "done": True}
    )


@router.post("/c/{slug}/me/messages")
def my_messages(
    request: Request,
    slug: str,
    consent: str = Form(""),
    db: Session = Depends(get_db),
    principal: Principal = Depends(require_participant),
):
    own_contest(db, slug, principal)
    participant = principal.participant
    assert participant is not None  # require_participant
    messages.set_consent(db, actor_for(request, principal), participant, consent == "yes")
    return RedirectResponse(f"/c/{slug}/me", status_code=303)

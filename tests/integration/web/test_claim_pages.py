"""The claim form (anyone, CSRF-protected) and the committee's claim pages (committee only)."""

from conftest import csrf_from
from factories import make_contest, make_participant, make_staff
from sqlalchemy import select

from contest.models import CitizenIdClaim, Participant


def _staff_sign_in(client, username: str, roles: list[str], db) -> None:
    make_staff(db, username, roles)
    page = client.get("/staff/login").text
    client.post(
        "/staff/login",
        data={
            "csrf_token": csrf_from(page),
            "username": username,
            "password": "correct-horse-battery",
        },
    )


def test_a_claim_is_filed_through_the_form_and_decided_on_the_committee_page(client, db):
    contest = make_contest(db)
    squatter = make_participant(db, contest)
    form = client.get(f"/c/{contest.slug}/claim").text
    assert "Đề nghị xác minh số CCCD của bạn" in form
    bad = client.post(
        f"/c/{contest.slug}/claim",
        data={"csrf_token": csrf_from(form), "citizen_id": "020190012345"},
    )
    assert bad.status_code == 422 and 'id="evidence-error"' in bad.text
    filed = client.post(
        f"/c/{contest.slug}/claim",
        data={
            "csrf_token": csrf_from(form),
            "citizen_id": "020190012345",
            "full_name": "Nguyễn Thị Hoà Bình",
            "phone": "0933333333",
            "evidence": "Tôi có thể xuất trình thẻ CCCD gốc tại phường Chi Lăng.",
        },
    )
    assert filed.status_code == 200 and "Đã nhận đề nghị" in filed.text
    claim = db.execute(select(CitizenIdClaim)).scalars().one()

    _staff_sign_in(client, "tochuc", ["organiser"], db)
    assert client.get(f"/committee/{contest.slug}/claims").status_code == 403
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/admin").text)})
    _staff_sign_in(client, "giamkhao", ["committee_member"], db)
    listing = client.get(f"/committee/{contest.slug}/claims").text
    assert f"#{claim.id}" in listing and "****2345" in listing
    page = client.get(f"/committee/{contest.slug}/claims/{claim.id}").text
    assert "xuất trình thẻ CCCD gốc" in page
    no_reason = client.post(
        f"/committee/{contest.slug}/claims/{claim.id}/decide",
        data={"csrf_token": csrf_from(page), "decision": "upheld", "reason": ""},
    )
    assert no_reason.status_code == 422 and "lý do" in no_reason.text
    done = client.post(
        f"/committee/{contest.slug}/claims/{claim.id}/decide",
        data={"csrf_token": csrf_from(page), "decision": "upheld", "reason": "Đã xem thẻ gốc."},
    )
    assert done.status_code == 200 and "Đã xem thẻ gốc." in done.text
    db.expire_all()
    assert db.get(Participant, squatter.id).citizen_id.startswith("R")

"""The import preview lists every warning with its line, in the reader's language."""

from conftest import csrf_from
from factories import make_staff


def _sign_in(client, db, username="org", roles=("organiser",)):
    make_staff(db, username, list(roles))
    page = client.get("/staff/login").text
    client.post(
        "/staff/login",
        data={
            "csrf_token": csrf_from(page),
            "username": username,
            "password": "correct-horse-battery",
        },
    )
    return csrf_from(client.get("/organiser/banks").text)


GIFT = (
    "$CATEGORY: $course$/top/Chuyển đổi số\n"
    "::C1::[html]Ứng dụng <span>VNeID</span> do ai xây dựng?{=Bộ Công an ~Bộ Y tế}\n"
    "\n"
    "::C2::Câu hai?{=A ~B}\n"
    "::C3::Câu ba?{=X ~Y}\n"
).encode()


def test_preview_lists_warnings_and_the_run_together_error_with_lines(client, db):
    token = _sign_in(client, db)
    response = client.post(
        "/organiser/banks/preview",
        data={"csrf_token": token, "bank": "canh-bao"},
        files=[("files", ("bank.gift", GIFT, "text/plain"))],
    )
    assert response.status_code == 422
    page = response.text
    assert "Cảnh báo" in page and "1 cảnh báo" not in page  # the file line counts them
    assert "2 cảnh báo" in page
    assert "Chuyển đổi số" in page and "&lt;span&gt;" in page
    assert "dòng 5" in page and "hai câu hỏi liền nhau" in page

"""Walk every POST route of the application: each refuses a request without a CSRF token,
and each that needs a role refuses a signed-in user without it."""

import re

import pytest
from conftest import csrf_from
from factories import make_contest, make_participant, make_staff
from fastapi.routing import APIRoute

# Routes anyone may post to (with a valid token): signing in, registering, signing out, claiming.
PUBLIC_POSTS = {
    "/staff/login",
    "/logout",
    "/c/{slug}/register",
    "/c/{slug}/login",
    "/c/{slug}/claim",  # the real owner of a squatted CCCD has no account to sign in with
    "/c/{slug}/oidc/complete",  # verified by the identity provider, no account yet
    "/messages/unsubscribe/{token}",
    # Someone who forgot their password is not signed in; the link or code is the credential.
    "/c/{slug}/forgot",
    "/c/{slug}/reset/code",
    "/c/{slug}/reset/{token}",
    "/staff/forgot",
    "/staff/reset/{token}",  # the signed link in a message is the credential
}


def required_roles(route: APIRoute) -> tuple[str, ...] | None:
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        roles = getattr(dep.call, "required_roles", None)
        if roles:
            return roles
        stack.extend(dep.dependencies)
    return None


def post_routes(app):
    """Every POST route of every router the application factory includes."""
    from contest.web.app import ROUTERS

    routes = [r for router in ROUTERS for r in router.routes]
    routes += [r for r in app.router.routes if isinstance(r, APIRoute)]
    return sorted(
        (r for r in routes if isinstance(r, APIRoute) and "POST" in r.methods), key=lambda r: r.path
    )


def concrete(path: str, slug: str) -> str:
    return re.sub(r"\{[a-z_]*id\}", "1", path.replace("{slug}", slug))


def test_every_post_route_is_public_by_intent_or_declares_a_role(app):
    undeclared = [
        r.path for r in post_routes(app) if r.path not in PUBLIC_POSTS and not required_roles(r)
    ]
    assert undeclared == []
    assert len(post_routes(app)) >= 7


def test_every_post_route_refuses_a_request_without_a_token(app, client, db):
    contest = make_contest(db)
    for route in post_routes(app):
        client.get("/staff/login")  # an anonymous cookie exists, but no token is sent
        response = client.post(concrete(route.path, contest.slug), data={"x": "1"})
        assert response.status_code == 403, route.path
        assert "CSRF" in response.text, route.path


def test_every_post_route_refuses_a_forged_token(app, client, db):
    contest = make_contest(db)
    client.get("/staff/login")
    for route in post_routes(app):
        response = client.post(
            concrete(route.path, contest.slug),
            data={"csrf_token": "forged"},
            headers={"X-CSRF-Token": "forged"},
        )
        assert response.status_code == 403, route.path


def test_a_cross_site_post_is_refused_even_with_a_valid_token(client, db):
    token = csrf_from(client.get("/staff/login").text)
    response = client.post(
        "/staff/login",
        data={"csrf_token": token, "username": "x", "password": "y"},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 403


def _sign_in_staff(client, username):
    token = csrf_from(client.get("/staff/login").text)
    r = client.post(
        "/staff/login",
        data={"csrf_token": token, "username": username, "password": "correct-horse-battery"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


def _sign_in_participant(client, contest):
    token = csrf_from(client.get(f"/c/{contest.slug}/login").text)
    r = client.post(
        f"/c/{contest.slug}/login",
        data={"csrf_token": token, "login": "020190012345", "password": "mat-khau-bi-mat"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


@pytest.mark.parametrize("who", ["anonymous", "participant", "staff-without-role"])
def test_every_role_route_refuses_a_caller_without_the_role(app, client, db, who):
    contest = make_contest(db)
    make_participant(db, contest)
    make_staff(db, "chair-only", ["committee_chair"])
    if who == "participant":
        _sign_in_participant(client, contest)
    elif who == "staff-without-role":
        _sign_in_staff(client, "chair-only")
    checked = 0
    for route in post_routes(app):
        roles = required_roles(route)
        if not roles:
            continue
        if who == "staff-without-role" and ("committee_chair" in roles or roles == ("any-staff",)):
            continue
        if who == "participant" and roles == ("participant",):
            continue
        page = client.get("/staff/login").text
        token = csrf_from(page)
        response = client.post(
            concrete(route.path, contest.slug), data={"csrf_token": token}, follow_redirects=False
        )
        assert response.status_code == 403, (who, route.path, response.status_code)
        checked += 1
    assert checked >= 3

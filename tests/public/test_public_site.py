"""The public site: open to anyone, in French, with the helpline's number on every page, and nothing else."""

from __future__ import annotations

from flask import Flask

from console.access import PUBLIC_BLUEPRINTS

# Every public page a visitor can open without signing in (each helper page adds itself here).
PUBLIC_PAGES = ["/accueil", "/demande", "/demande/merci", "/trouver", "/confidentialite"]
# Files anyone may download (open data), checked by their own tests.
PUBLIC_DOWNLOADS = ["/donnees/annuaire-hsds.json"]


def public_rules(app: Flask) -> set[str]:
    """The URL rules of the public blueprint(s), as Flask routes them."""
    return {
        rule.rule
        for rule in app.url_map.iter_rules()
        if any(rule.endpoint.startswith(f"{name}.") for name in PUBLIC_BLUEPRINTS)
    }


def test_public_pages_need_no_login(app: Flask) -> None:
    """A visitor with no session opens each public page: 200, French, the helpline's number as a tel: link."""
    client = app.test_client()
    for page in PUBLIC_PAGES:
        response = client.get(page)
        assert response.status_code == 200, page
        html = response.get_data(as_text=True)
        assert '<html lang="fr">' in html
        assert 'href="tel:+33261911000"' in html
        assert "02 61 91 10 00" in html
        assert response.headers["Cache-Control"] == "no-store"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_every_public_rule_is_listed(app: Flask) -> None:
    """Each GET page of the public blueprint is in PUBLIC_PAGES (so the checks above cover it)."""
    static_rules = {rule for rule in public_rules(app) if "<" not in rule}
    assert static_rules <= set(PUBLIC_PAGES) | set(PUBLIC_DOWNLOADS) | {"/confidentialite"}


def test_console_pages_stay_closed(app: Flask) -> None:
    """Opening the public site does not open the console: the board still asks for a sign-in."""
    response = app.test_client().get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")

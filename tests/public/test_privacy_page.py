"""The public privacy page: what is recorded, why, how long (from the config), who sees it, the rights."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import Engine

from foundation.config import Config, Retention, Smtp
from foundation.settings import Settings
from helpline.app import create_app
from tests.conftest import FakeClock
from tests.public.conftest import MakeClient


@pytest.fixture
def app_with_contact(
    engine: Engine, settings: Settings, example_config: Config, clock: FakeClock
) -> Iterator[Flask]:
    """The app with other retention periods, a contact address and hashed callers' numbers."""
    privacy = example_config.privacy.model_copy(
        update={
            "retention": Retention(identifying_days=30, recordings_days=15, notes_days=60),
            "contact_email": "Données 1001 services <confidentialite@example.org>",
            "postal_address": "1001 services, 36300 Le Blanc",
            "caller_number": "hashed",
        }
    )
    app = create_app(settings, config=example_config.model_copy(update={"privacy": privacy}), clock=clock)
    app.config["TESTING"] = True
    yield app
    app.extensions["helpline"].engine.dispose()


def _text(app: Flask, path: str = "/confidentialite") -> str:
    response = app.test_client().get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True).replace("&#39;", "'")


def test_the_page_says_what_why_how_long_and_the_rights(app: Flask) -> None:
    """With the example config: the periods as configured, the masked number, the rights, the CNIL."""
    html = _text(app)
    assert "<h1>Vos données personnelles</h1>" in html
    assert "votre numéro de téléphone, en partie caché" in html
    assert "<li>votre numéro et le numéro de rappel : 1 an ;</li>" in html
    assert "<li>les messages vocaux : 3 mois ;</li>" in html
    assert "<li>les notes et ce que vous avez dit au serveur vocal : 1 an.</li>" in html
    assert "l'observatoire de la demande" in html
    assert "mission d'intérêt public" in html
    for right in ("connaître", "corriger", "effacer", "opposer"):
        assert f"<strong>{right}</strong>" in html
    assert 'appelez le <a href="tel:+33261911000">02 61 91 10 00</a> et tapez 0' in html
    assert "Vous pouvez aussi nous écrire" not in html  # no contact in the example config
    assert '<a href="https://www.cnil.fr/fr/plaintes">' in html


def test_the_page_follows_the_config(app_with_contact: Flask) -> None:
    """Other periods, a contact address and hashed numbers: the page says them."""
    html = _text(app_with_contact)
    assert "<li>votre numéro et le numéro de rappel : 1 mois ;</li>" in html
    assert "<li>les messages vocaux : 15 jours ;</li>" in html
    assert "<li>les notes et ce que vous avez dit au serveur vocal : 2 mois.</li>" in html
    assert (
        "un code tiré de votre numéro, qui ne permet pas de le retrouver, jamais le numéro lui-même" in html
    )
    assert (
        'Vous pouvez aussi nous écrire à <a href="mailto:confidentialite@example.org">'
        "confidentialite@example.org</a> ou par courrier : 1001 services, 36300 Le Blanc."
    ) in html


def test_every_public_page_links_to_it(app: Flask) -> None:
    """The public site's footer links to the privacy page."""
    for path in ("/accueil", "/confidentialite"):
        assert '<a href="/confidentialite">Confidentialité</a>' in _text(app, path)


def test_the_form_says_how_long_contact_details_are_kept(make_client: MakeClient) -> None:
    """The notice above the consent box: the longer of the identifying and notes periods, in words."""
    page = make_client().get("/demande").get_data(as_text=True)
    assert "et effacées au bout de 1 an au plus." in page
    assert '<a href="/confidentialite">En savoir plus sur vos données et vos droits</a>' in page


def test_the_thank_you_page_promises_an_email_only_when_one_can_go(make_client: MakeClient) -> None:
    """No sender configured (the example), or acknowledgements off: the page does not promise one."""
    promise = "vous allez recevoir une confirmation"
    assert promise not in make_client().get("/demande/merci").get_data(as_text=True)
    smtp = Smtp(host="127.0.0.1", port=25, sender="1001 services <contact@example.org>")
    assert promise in make_client(smtp=smtp).get("/demande/merci").get_data(as_text=True)
    off = make_client(smtp=smtp, acknowledgement_email=False)
    assert promise not in off.get("/demande/merci").get_data(as_text=True)

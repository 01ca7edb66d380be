"""Staff run the line from the console, in a real browser: what they set is what the next call hears.

Each test changes a setting through the page as a person would (keyboard and buttons, Chromium), then
places a signed call through the simulator and checks what the caller hears or which phones ring.
"""

from __future__ import annotations

from collections.abc import Callable

import requests
from flask import Flask
from playwright.sync_api import Page, expect

from call_log.models import Call
from ivr.simulator.call import SimulatedCall
from ivr.simulator.callers import DialOutcome, HangUp, Keys, ScriptedCaller
from tests import test_journey
from tests.conftest import PUBLIC_URL, FakeClock
from tests.console.browser import accessibility_problems, sign_in
from tests.test_journey import at
from tests.test_recorded_prompts import voice_twiml, wav

Place = Callable[..., tuple[SimulatedCall, Call]]
Shot = Callable[[Page, str], None]
place = test_journey.place  # the fixture that places a call through the simulator


def test_staff_close_the_line_with_a_message_until_a_moment_and_callers_hear_it(
    page: Page, live_server: str, place: Place, clock: FakeClock, shot: Shot
) -> None:
    at(clock, 2026, 11, 30, 10, 0)  # a Monday, open
    sign_in(page, live_server, "sam")
    page.goto(f"{live_server}/settings/line")
    expect(page.locator("#line-state")).to_contain_text("La ligne est ouverte")
    page.get_by_label("Fermée maintenant").check()
    page.get_by_label("Jusqu'au (facultatif)").fill("2026-11-30T14:00")
    page.get_by_label("Message entendu pendant la fermeture").fill("Nous sommes en formation ce matin.")
    page.get_by_role("button", name="Enregistrer l'état de la ligne").click()
    expect(page.locator(".flash.success")).to_contain_text("La ligne est fermée jusqu'au 30/11/2026 à 14:00.")
    banner = page.locator("#line-forced")
    expect(banner).to_contain_text("La ligne est fermée par l'équipe jusqu'au 30/11/2026 à 14:00")
    shot(page, "1-closed")
    # The banner is on every page of the console, for operators too.
    page.goto(f"{live_server}/callbacks")
    expect(page.locator("#line-forced")).to_contain_text("Nous sommes en formation ce matin.")

    result, record = place(ScriptedCaller([HangUp()]))
    assert result.heard[0] == "Nous sommes en formation ce matin."
    assert record.after_hours

    at(clock, 2026, 11, 30, 14, 0)  # the "until" has come: the hours decide again
    result, _ = place(ScriptedCaller([HangUp()]))
    assert result.heard[0] == "Bonjour, ici le 1001 services."
    page.goto(f"{live_server}/settings/line")
    expect(page.locator("#line-forced")).to_have_count(0)


def test_a_closure_added_in_the_calendar_is_heard_on_its_day_and_an_invalid_span_is_refused(
    page: Page, live_server: str, place: Place, clock: FakeClock, shot: Shot
) -> None:
    at(clock, 2026, 12, 2, 10, 0)
    sign_in(page, live_server, "sam")
    page.goto(f"{live_server}/settings/calendar")
    form = page.locator("#closures form").last
    form.get_by_label("Du", exact=True).fill("2026-12-10")
    form.get_by_label("Au (inclus)").fill("2026-12-10")
    form.get_by_label("Motif").fill("Réveillon")
    form.get_by_label("Message entendu par les appelants").fill(
        "Le 1001 services est fermé pour le réveillon."
    )
    form.get_by_role("button", name="Ajouter la fermeture").click()
    expect(page.locator(".flash.success")).to_contain_text("Fermeture ajoutée : Réveillon, le 10/12/2026.")
    expect(page.locator("#closures form.closure h3")).to_have_text(["Fermeture de fin d'année", "Réveillon"])

    at(clock, 2026, 12, 10, 10, 0)  # a Thursday, open by the hours
    result, record = place(ScriptedCaller([HangUp()]))
    assert result.heard[0] == "Le 1001 services est fermé pour le réveillon."
    assert record.after_hours

    # An hour span that ends before it starts is refused in the form, naming the day; nothing is kept.
    at(clock, 2026, 12, 2, 10, 0)
    page.goto(f"{live_server}/settings/calendar")
    page.get_by_label("Lundi").fill("18h-9h")
    page.get_by_role("button", name="Enregistrer les horaires").click()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#hours-mon-error")).to_have_text("Lundi : « 18:00-09:00 » finit avant de commencer.")
    expect(page.get_by_label("Lundi")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Lundi")).to_have_value("18h-9h")
    shot(page, "2-refused")
    assert accessibility_problems(page) == []
    result, _ = place(ScriptedCaller([HangUp()]))
    assert result.heard[0] == "Bonjour, ici le 1001 services."


def test_an_operator_goes_off_duty_and_the_next_transfer_does_not_ring_their_phone(
    page: Page, live_server: str, place: Place, clock: FakeClock, shot: Shot
) -> None:
    at(clock, 2026, 11, 30, 10, 0)
    # Staff tie the first phone to olivia's account.
    sign_in(page, live_server, "sam")
    page.goto(f"{live_server}/settings/operators")
    first = page.locator("form.operator").first
    first.get_by_label("Compte de la console de qui répond").select_option("olivia")
    first.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".flash.success")).to_have_text("Téléphone modifié.")
    page.get_by_role("button", name="Se déconnecter").click()

    sign_in(page, live_server, "olivia")
    page.goto(f"{live_server}/duty")
    # Olivia may switch her own phone, not her colleague's.
    expect(page.get_by_role("button", name="Mettre hors garde : Accueil Le Blanc")).to_be_visible()
    expect(page.get_by_role("button", name="Mettre hors garde : Accueil Mézières")).to_have_count(0)
    page.get_by_role("button", name="Mettre hors garde : Accueil Le Blanc").click()
    expect(page.locator(".flash.success")).to_contain_text("Accueil Le Blanc : hors garde")
    shot(page, "1-off-duty")
    assert accessibility_problems(page) == []

    result, _ = place(ScriptedCaller([Keys("0")], dials=[DialOutcome("completed", 5)]))
    assert result.dialled[0].numbers == ["+33261911002"]

    page.get_by_role("button", name="Mettre de garde : Accueil Le Blanc").click()
    result, _ = place(ScriptedCaller([Keys("0")], dials=[DialOutcome("completed", 5)]))
    assert result.dialled[0].numbers == ["+33261911001", "+33261911002"]


def test_a_prompt_changed_in_the_console_is_heard_and_a_restored_version_brings_the_old_one_back(
    page: Page, live_server: str, place: Place, clock: FakeClock, shot: Shot
) -> None:
    at(clock, 2026, 11, 30, 10, 0)
    sign_in(page, live_server, "sam")
    page.goto(f"{live_server}/settings/prompts")
    greeting = page.get_by_label("Accueil", exact=True)
    expect(greeting).to_have_value("Bonjour, ici le 1001 services.")
    expect(page.locator("#prompt-menu-greeting").get_by_role("button", name="Écouter")).to_be_visible()
    greeting.fill("Bonjour, vous êtes au 1001 services de la Brenne.")
    page.locator("#prompt-menu-greeting").get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".flash.success")).to_contain_text("« Accueil » enregistré")
    expect(page.locator("#prompt-menu-greeting")).to_contain_text(
        "Texte d'origine : « Bonjour, ici le 1001 services. »"
    )
    assert accessibility_problems(page) == []
    result, _ = place(ScriptedCaller([HangUp()]))
    assert result.heard[0] == "Bonjour, vous êtes au 1001 services de la Brenne."

    # A greeting long enough to keep a one-service caller past 30 s is saved, and flagged.
    greeting = page.get_by_label("Accueil", exact=True)
    greeting.fill(
        "Bonjour et bienvenue au 1001 services, " + "le numéro unique des services à la personne " * 3
    )
    page.locator("#prompt-menu-greeting").get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".flashes .flash.error")).to_contain_text(
        "Attention : un appelant qui veut un seul service"
    )
    expect(page.locator("#prompt-menu-greeting.too-long")).to_contain_text("trop long au total")
    shot(page, "1-flagged")

    page.goto(f"{live_server}/settings/history")
    first = page.locator("section.version").last
    expect(first).to_contain_text("Message « Accueil »")
    expect(first.locator("table.changes")).to_contain_text(
        "Bonjour, vous êtes au 1001 services de la Brenne."
    )
    first.get_by_role("button", name="Rétablir la version").click()
    expect(page.locator(".flash.success")).to_contain_text("rétablie")
    assert accessibility_problems(page) == []
    result, _ = place(ScriptedCaller([HangUp()]))
    assert result.heard[0] == "Bonjour, vous êtes au 1001 services de la Brenne."


def test_a_seventh_menu_option_is_refused_in_the_form_and_a_change_of_the_menu_is_heard(
    page: Page, live_server: str, place: Place, clock: FakeClock, shot: Shot
) -> None:
    at(clock, 2026, 11, 30, 10, 0)
    sign_in(page, live_server, "sam")
    page.goto(f"{live_server}/settings/menu")
    page.get_by_label("Touche du choix 7").select_option("7")
    page.get_by_label("Texte du choix 7").fill("Informatique, tapez 7.")
    page.get_by_label("Où mène le choix 7").select_option(label="Ménage, aide ménagère")
    page.get_by_role("button", name="Enregistrer le menu").click()
    expect(page.locator("#error-summary")).to_contain_text(
        "Menu, choix : un menu propose au plus 6 choix énoncés, pas 7"
    )
    expect(page.get_by_label("Texte du choix 7")).to_have_value("Informatique, tapez 7.")
    shot(page, "1-refused")
    assert accessibility_problems(page) == []

    # Put transport first: the caller hears it first.
    page.get_by_label("Texte du choix 7").fill("")
    page.get_by_label("Touche du choix 7").select_option("")
    page.get_by_label("Ordre du choix 6").fill("0")
    page.get_by_role("button", name="Enregistrer le menu").click()
    expect(page.locator(".flash.success")).to_have_text("Menu enregistré : le prochain appel l'entend.")
    result, _ = place(ScriptedCaller([HangUp()]))
    assert result.heard[1:3] == ["Dites ce que vous cherchez, ou tapez :", "Transport, tapez 6."]


def test_a_recorded_greeting_uploaded_in_the_console_is_played_and_its_removal_brings_the_voice_back(
    page: Page, live_server: str, app: Flask, place: Place, clock: FakeClock, shot: Shot
) -> None:
    at(clock, 2026, 11, 30, 10, 0)
    sign_in(page, live_server, "sam")
    page.goto(f"{live_server}/settings/prompts")
    recording = page.locator("#prompt-menu-greeting-recording")
    # A text file named .mp3 is refused, with the reason; nothing changes.
    recording.get_by_label("Enregistrement (facultatif)").set_input_files(
        {"name": "accueil.mp3", "mimeType": "audio/mpeg", "buffer": b"Bonjour, ceci est un texte."}
    )
    recording.get_by_role("button", name="Envoyer l'enregistrement").click()
    expect(page.locator(".flashes .flash.error")).to_have_text(
        "« Accueil » : Ce fichier n'est ni un WAV ni un MP3. Rien n'a été changé."
    )
    data = wav(2)
    recording = page.locator("#prompt-menu-greeting-recording")
    recording.get_by_label("Enregistrement (facultatif)").set_input_files(
        {"name": "accueil.wav", "mimeType": "audio/wav", "buffer": data}
    )
    recording.get_by_role("button", name="Envoyer l'enregistrement").click()
    expect(page.locator(".flash.success")).to_contain_text("l'enregistrement accueil.wav est joué")
    recording = page.locator("#prompt-menu-greeting-recording")
    expect(recording).to_contain_text("Enregistrement joué à la place du texte : accueil.wav, 2,0 s")
    shot(page, "1-recorded")
    assert accessibility_problems(page) == []

    # The next call plays it: a <Play> of an absolute URL the app serves to Twilio (no login, a token).
    play = voice_twiml(app).find("Gather/Play")
    assert play is not None
    assert play.text is not None
    assert play.text.startswith(f"{PUBLIC_URL}/ivr/audio/")
    path = play.text.removeprefix(PUBLIC_URL)
    assert place(ScriptedCaller([HangUp()]))[0].heard[0] == f"[audio {path}]"
    served = requests.get(live_server + path, timeout=10)
    assert (served.status_code, served.headers["Content-Type"], served.content) == (200, "audio/wav", data)
    assert (
        requests.get(live_server + path.replace("/ivr/audio/1/", "/ivr/audio/1/0"), timeout=10).status_code
        == 404
    )
    # Staff hear it in the page too (same origin, allowed by the console's CSP).
    expect(recording.locator("audio")).to_have_attribute("src", path)

    recording.get_by_role("button", name="Retirer l'enregistrement").click()
    expect(page.locator(".flash.success")).to_contain_text("l'enregistrement est retiré")
    say = voice_twiml(app).find("Gather/Say")
    assert say is not None
    assert say.text == "Bonjour, ici le 1001 services."
    assert place(ScriptedCaller([HangUp()]))[0].heard[0] == "Bonjour, ici le 1001 services."

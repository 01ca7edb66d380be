"""What callers are told of their data: a short notice after the greeting, and what key 9 then says.

Pure, like the menu engine: config.yaml's `privacy` section says whether the notice is on, and its
retention periods are read out as they are configured. The key is `PRIVACY_KEY` at the main menu only;
the config schema keeps it free of menu options while the notice is on.
"""

from __future__ import annotations

from foundation.config import PRIVACY_KEY, Config
from ivr.flow import ROOT, Flow
from ivr.menu import CallState, Input, Keys


def notice(config: Config) -> list[str]:
    """The notice said after the greeting (none when privacy.notice is off)."""
    return [config.privacy.notice_text] if config.privacy.notice else []


def asks_information(config: Config, flow: Flow, state: CallState, given: Input) -> bool:
    """Whether the caller pressed the privacy key at the main menu, with the notice on."""
    return (
        config.privacy.notice
        and isinstance(given, Keys)
        and given.digits.strip() == PRIVACY_KEY
        and state.phase == "menu"
        and state.node == ROOT
        and PRIVACY_KEY not in flow.node(ROOT).options
    )


def days_in_words(days: int) -> str:
    """A retention period as people say it: '1 an', '3 mois', '45 jours'."""
    if days % 365 == 0:
        years = days // 365
        return f"{years} an" if years == 1 else f"{years} ans"
    if days % 30 == 0:
        return f"{days // 30} mois"
    return f"{days} jour" if days == 1 else f"{days} jours"


def information(config: Config) -> str:
    """What the privacy key says: what is kept, by whom, for how long, the rights, and the operator's key."""
    retention = config.privacy.retention
    name = config.helpline.name
    return (
        f"Le {name} garde de votre appel le service demandé, la commune concernée, pour qui, "
        "et votre numéro pour vous rappeler. Seule l'équipe du service y a accès. "
        f"Votre numéro est effacé au bout de {days_in_words(retention.identifying_days)}, "
        f"vos messages vocaux au bout de {days_in_words(retention.recordings_days)}, "
        f"les notes et vos paroles au bout de {days_in_words(retention.notes_days)}. "
        "Il ne reste ensuite que des statistiques, sans lien avec vous. "
        "Vous pouvez demander à connaître ou à effacer vos données, ou vous opposer à leur usage : "
        "tapez 0 pour parler à un conseiller. Tout est expliqué sur notre site, page confidentialité."
    )

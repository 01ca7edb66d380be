"""How long the line speaks before a caller who wants one service hears the association's phone ring.

A caller who knows what they want should hear the ring within about 30 seconds: the prompts on that path
(greeting, menu, the observatory's questions, the announcement of the transfer) share that time. The
privacy notice, when it is on, has its own short allowance on top. The estimate counts words at the pace
of Twilio's French voices, as the call simulator does.
"""

from __future__ import annotations

from foundation.config import Config

WORDS_PER_SECOND = 2.5
# The most a one-service caller should hear before the ring.
PATH_LIMIT_S = 30.0
# What the privacy notice may add to it when it is on: telling callers about their data is owed to them,
# in one short sentence (15 words), not taken from the time the journey's own prompts have.
NOTICE_ALLOWANCE_S = 6.0


def path_limit(config: Config) -> float:
    """The most a one-service caller should hear before the ring with `config`: the notice's allowance in."""
    return PATH_LIMIT_S + (NOTICE_ALLOWANCE_S if config.privacy.notice else 0.0)


def seconds(text: str) -> float:
    """About how long the line takes to say `text` (a second at least for any text)."""
    words = len(text.split())
    return max(1.0, words / WORDS_PER_SECOND) if words else 0.0


def one_service_path(config: Config) -> list[tuple[str, float]]:
    """Each prompt a one-service caller hears before the ring, with its seconds (the menu's options as one).

    The path of a caller who keys the first option, gives a postal code shared by several communes and
    their commune's name, and says who it is for (each question only when the config asks it).
    """
    prompts, questions = config.prompts, config.questions
    options = [option.say for option in config.menu.options if not option.operator]
    path: list[tuple[str, list[str]]] = [("menu.greeting", [config.menu.greeting])]
    if config.privacy.notice:
        path.append(("privacy.notice_text", [config.privacy.notice_text]))
    if config.speech.enabled:
        path.append(("prompts.speech_hint", [prompts.speech_hint]))
    path += [("menu.options", options), ("menu.prompt", [config.menu.prompt])]
    if questions.commune:
        path += [
            ("prompts.postal_code", [prompts.postal_code]),
            ("prompts.commune_name", [prompts.commune_name]),
        ]
    if questions.beneficiary:
        path.append(("prompts.beneficiary", [prompts.beneficiary]))
    if questions.heard_from:
        answers = [option.say for option in questions.heard_from_options]
        path.append(("prompts.heard_from", [prompts.heard_from, *answers]))
    announced = prompts.connecting_association.format(name="l'association")
    path.append(("prompts.connecting_association", [announced]))
    return [(key, sum(seconds(text) for text in texts)) for key, texts in path]

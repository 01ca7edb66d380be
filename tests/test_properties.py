"""Random callers (hypothesis): always valid TwiML, never a 5xx, bounded, and nobody is stranded."""

from __future__ import annotations

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivr.simulator.call import CallSimulator
from ivr.simulator.callers import (
    DialOutcome,
    DialRequest,
    GatherPrompt,
    HangUp,
    Keys,
    RecordOutcome,
    RecordRequest,
    Silence,
    Speech,
)
from ivr.simulator.transports import FlaskClientTransport
from tests.conftest import AUTH_TOKEN, PUBLIC_URL

MAX_DOCUMENTS = 40
GOODBYES = {
    "Merci, votre message est enregistré. Nous vous rappellerons. Au revoir.",
    "Nous n'avons pas reçu de message. Merci de rappeler plus tard. Au revoir.",
}
WORDS = ["repassage", "jardinage", "enfants", "ménage", "bonjour", "euh", "Ciron", "Le Blanc", "aide", "xyz"]

keys = st.text(alphabet="0123456789*#", min_size=0, max_size=6).map(Keys)
speech = st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(lambda words: Speech(" ".join(words)))
caller_inputs = st.one_of(keys, speech, st.just(Silence()), st.just(HangUp()))
# The called party takes the call (1), its voicemail picks up (None: presses nothing), it presses another
# key, or hangs up during the whisper; or it does not answer, is busy, fails; or the caller hangs up first.
dial_outcomes = st.one_of(
    st.builds(DialOutcome, st.sampled_from(["completed", "no-answer", "busy", "failed", "canceled"]),
              st.integers(0, 600), st.sampled_from(["1", None, "2", HangUp()])),
    st.just(HangUp()),
)  # fmt: skip
record_outcomes = st.one_of(st.builds(RecordOutcome, st.integers(0, 120)), st.just(HangUp()))


class RandomCaller:
    """A caller whose every answer is drawn by hypothesis."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data
        self.heard: list[str] = []
        self.connected = False
        self.recorded = False

    def hear(self, text: str) -> None:
        """Remember what was said."""
        self.heard.append(text)

    def gather(self, prompt: GatherPrompt) -> Keys | Silence | Speech | HangUp:
        """A random key, words, silence or hang-up."""
        answer: Keys | Silence | Speech | HangUp = self.data.draw(caller_inputs)
        return answer

    def dial(self, dial: DialRequest) -> DialOutcome | HangUp:
        """The dialled party does something random."""
        outcome: DialOutcome | HangUp = self.data.draw(dial_outcomes)
        if isinstance(outcome, DialOutcome) and outcome.status == "completed" and outcome.whisper_keys == "1":
            self.connected = True
        return outcome

    def record(self, request: RecordRequest) -> RecordOutcome | HangUp:
        """A message of random length, or a hang-up."""
        outcome: RecordOutcome | HangUp = self.data.draw(record_outcomes)
        self.recorded = isinstance(outcome, RecordOutcome) and outcome.duration_s > 0
        return outcome


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_callers_are_never_stranded(app: Flask, data: st.DataObject) -> None:
    """Any caller ends at a human, a voicemail, a spoken goodbye, or by hanging up themselves."""
    simulator = CallSimulator(
        FlaskClientTransport(app.test_client()),
        base_url=PUBLIC_URL,
        auth_token=AUTH_TOKEN,
        max_documents=MAX_DOCUMENTS,
    )
    caller = RandomCaller(data)
    # The simulator raises on invalid TwiML, on any non-200 answer and past MAX_DOCUMENTS documents.
    call = simulator.place_call(caller)

    assert call.status_callback_status == 204
    assert call.ended_by in {"hangup-verb", "caller-hangup"}
    if call.ended_by == "hangup-verb":
        assert caller.connected or caller.recorded or call.heard[-1] in GOODBYES, call.heard

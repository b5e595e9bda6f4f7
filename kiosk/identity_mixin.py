"""The kiosk core's identification side: face stage, confirmation, claims, failures.

A mixin of ``KioskCore`` (it uses the core's store, clock, devices and settings), kept
apart so each file reads in one sitting. The screens see only `IdentityState`s and the
masked name; templates stay sealed in the store and in memory of the engines.
"""
from __future__ import annotations

import logging
from typing import Any

import numpy as np

from kiosk import roster as roster_mod
from kiosk.errors import FlowError
from kiosk.identify import FailedAttempt, IdentityState, IdentityWatcher
from kiosk.views import PersonView
from server_api.names import id_number_checksum_ok, mask_name

log = logging.getLogger(__name__)


class IdentityMixin:
    _index: Any = None
    _voice_engine: Any = None
    watcher: IdentityWatcher | None = None
    person: PersonView | None = None

    # --- set-up --------------------------------------------------------------------
    def _start_identification(self) -> None:
        """Engines (warmed in the background), the confirmer and the watcher thread."""
        from kiosk.confirm import IdentityConfirmer
        from kiosk.identity_policy import load_policy
        from kiosk.liveness import LandmarkExtractor
        from kiosk.voice import VoiceEngine

        self.policy = load_policy(self.settings.identity_policy_path)
        self._voice_engine = VoiceEngine.from_policy(self.policy)
        self._voice_engine.warm_up()  # torch and the voice model load in the background
        pool = [c.strip() for c in self.settings.liveness_challenges.split(",") if c.strip()]
        confirmer = IdentityConfirmer(
            pump=self.pump, extractor_factory=lambda: LandmarkExtractor(self._engine),
            voice_engine=self._voice_engine, microphone=self.microphone,
            speaker_say=self.speak, speaker_wait=self._wait_speech, policy=self.policy,
            liveness_config=self.policy.liveness_config(),
            challenge_pool=pool or None, voice_template=self._voice_template,
            voice_cohort=self._voice_cohort, face_verify=self._face_verify,
            record_seconds=self.settings.voice_record_seconds)
        self.watcher = IdentityWatcher(
            self.pump, self._engine, self._face_index, self.settings.identify_frames,
            max_attempts=self.policy.max_attempts, on_failure=self._record_failed_attempt,
            confirmer=confirmer, describe=self._masked_name, poll_card=self._poll_card)
        self.watcher.start()

    def _wait_speech(self, timeout: float) -> None:
        wait = getattr(self.speaker, "wait_idle", None)
        if wait is not None:
            wait(timeout)

    # --- templates -----------------------------------------------------------------
    def _invalidate_index(self) -> None:
        with self._index_lock:
            self._index = None
            self._voice_cache = None

    def _face_index(self):
        from kiosk.face import FaceIndex

        with self._index_lock:
            if self._index is None:
                self._index = FaceIndex(roster_mod.face_templates(self._store()),
                                        **self.policy.face_index_options())
            return self._index

    def _face_verify(self, person_id: int, encodings: list[np.ndarray]):
        return self._face_index().verify(person_id, encodings)

    def _voice_templates(self) -> dict[int, Any]:
        from kiosk.voice import VoiceTemplate

        with self._index_lock:
            cache = getattr(self, "_voice_cache", None)
            if cache is None:
                cache = {pid: VoiceTemplate.from_bytes(blob)
                         for pid, blob in roster_mod.voice_templates(self._store()).items()}
                self._voice_cache = cache
            return cache

    def _voice_template(self, person_id: int) -> bytes | None:
        return roster_mod.voice_template_bytes(self._store(), person_id)

    def _voice_cohort(self, person_id: int) -> np.ndarray | None:
        """The other people's enrolment utterances: the cohort the score is normalised by."""
        others = [t.utterances for pid, t in self._voice_templates().items() if pid != person_id]
        return np.concatenate(others) if others else None

    def _masked_name(self, person_id: int | None) -> str:
        p = roster_mod.person(self._store(), person_id) if person_id else None
        return mask_name(p.name) if p is not None else ""

    # --- failures ------------------------------------------------------------------
    def _record_failed_attempt(self, failure: FailedAttempt) -> None:
        """Keep a failed check (reason, evidence) for staff; after the last allowed
        attempt, or when only staff can help, call staff: nobody is left at a dead end."""
        from kiosk.flows.staff_call import record_call
        from kiosk.flows.verification import record_failure

        encodings = failure.encodings
        record_failure(self._store(), self.clock, person_id=failure.person_id,
                       reason=failure.reason, attempt=failure.attempt, claimed=failure.claimed,
                       face_distance=failure.face_distance, voice_score=failure.voice_score,
                       snapshot_jpeg=self._jpeg(failure.frame), stage=failure.stage,
                       evidence=failure.evidence,
                       face_encoding=np.mean(encodings, axis=0) if encodings else None)
        if failure.final:
            record_call(self._store(), self.clock, failure.person_id or 0, "identify")
        self._poke()

    # --- what the screens call -----------------------------------------------------
    def begin_identification(self) -> None:
        self.end_session()
        self._require_service()
        self.watcher.begin()

    def claim_identity(self, id_number: str) -> None:
        """The person says who they are (ID number typed on the pad, or read from a card):
        from now on the face is checked 1:1 against that person only."""
        self._claim(self._person_for_number(id_number))

    def _claim(self, person_id: int) -> None:
        self.end_session()
        self._require_service()
        self.watcher.begin(claimed=person_id)

    def _person_for_number(self, id_number: str) -> int:
        number = id_number.strip().upper()
        if not id_number_checksum_ok(number):
            raise FlowError("identity.error.id_number_invalid")
        person = roster_mod.person_by_id_number(self._store(), number)
        if person is None:
            raise FlowError("identity.error.id_number_unknown")
        return person.id

    def _poll_card(self) -> int | None:
        """The person on the ID card lying on the reader, if any. Nothing of the card
        (photo, address...) is kept: the number selects the person for this attempt only."""
        card = self.card_reader.read_card()
        if card is None:
            return None
        return self._person_for_number(card.id_number)

    def poll_id_card(self) -> bool:
        """Claim the identity on the card lying on the reader now, if any."""
        person_id = self._poll_card()
        if person_id is None:
            return False
        self._claim(person_id)
        return True

    def cancel_identification(self) -> None:
        self.watcher.cancel()

    def identity_state(self) -> IdentityState:
        state = self.watcher.state
        if state.status == "identified" and self.person is None:
            if not self.service_state().open:  # locked or closed meanwhile: nobody admitted
                self.watcher.cancel()
                return self.watcher.state
            self._open_session(state.person_id, state.score)
        return state

    def _open_session(self, person_id: int, score: float) -> None:
        p = roster_mod.person(self._store(), person_id)
        if p is None:
            return
        self.person = PersonView(p.id, mask_name(p.name), p.case_type)
        self._score = score
        self.note_activity()


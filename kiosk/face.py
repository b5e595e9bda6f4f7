"""Face detection, 128-d encoding (dlib via face_recognition), 1:N identification and 1:1 verify.

Matching (docs/ACCURACY.md has the figures and the protocol):

- Encoding: face_recognition's 5-point landmarks drive dlib's own chip alignment
  (150 px chip, 25 % padding) before the ResNet, so faces are already aligned. The
  enrolment templates also encode the mirrored chip and average both views
  (`FaceEngine.enrol_flip`): on ../shared/data this cut FNMR at zero false matches.
- Templates: each person is the centroid of their enrolment templates.
- Score normalisation against the roster: a raw dlib distance means little for East
  Asian faces (plain dlib falsely matches ~40 % of East Asian impostor pairs at 0.6).
  The index divides the distance to a person by the mean distance of the probe to the
  nearest 20 % (at least 3) of the *other* people of the roster (an adaptive,
  probe-side T-norm that needs no training data: at a centre the cohort is its own,
  mostly East Asian, roster). That ratio is what the thresholds apply to whenever the
  roster has at least MIN_COHORT other people; smaller rosters fall back to strict raw
  distances.
"""

from __future__ import annotations

import logging
import threading
import warnings
from dataclasses import dataclass, field
from typing import Any, Hashable, Iterable, Mapping, Sequence

import cv2
import numpy as np

_LOG = logging.getLogger(__name__)

Box = tuple[int, int, int, int]  # top, right, bottom, left in full-frame pixels
PersonId = Hashable  # whatever the roster uses (database id or code)

# Operating points, set on ../shared/data/faces (bench/face_bench.py; docs/ACCURACY.md has
# the figures and which choices were checked leave-identity-out). Distances are dlib
# Euclidean distances to a person's template centroid; ratios are that distance divided
# by the mean distance to the nearest other people of the roster (cohort constants below).
#
# 1:N (a proposal only; voice confirms): the nearest person must be DEFAULT_MARGIN ahead
# of the runner-up and either within SMALL_ROSTER_THRESHOLD (the earlier strict raw rule,
# the only one without a cohort) or, with a cohort, within DEFAULT_THRESHOLD at a ratio
# <= DEFAULT_IDENTIFY_RATIO. That ratio limit sits about 10 % below the lowest ratio an
# unenrolled face reached (0.68 on the mixed roster, 0.73 on an East Asian one); it was
# set on that data without a held-out check.
DEFAULT_THRESHOLD = 0.40
DEFAULT_MARGIN = 0.05
DEFAULT_IDENTIFY_RATIO = 0.62
SMALL_ROSTER_THRESHOLD = 0.30
# 1:1 verify against a claimed person (ID card/number): ratio threshold with a cohort (the
# East Asian EER point on an East Asian roster; the rule held leave-identity-out), raw
# distance threshold without one (East Asian EER point of a 3-image centroid).
DEFAULT_VERIFY_RATIO = 0.84
DEFAULT_VERIFY_DISTANCE = 0.42
# Cohort: the nearest max(DEFAULT_COHORT_K, DEFAULT_COHORT_FRACTION * others) other people
# of the roster; no ratio with fewer than MIN_COHORT others. A fixed k made the ratio's
# scale drift with the roster size (on 7-person rosters its false matches tripled); a
# fraction keeps it closer to a property of the population rather than of the roster size.
DEFAULT_COHORT_K = 3
DEFAULT_COHORT_FRACTION = 0.2
MIN_COHORT = 5


class EnrolmentError(ValueError):
    """Enrolment could not collect enough usable faces; `message_key` is for the UI."""

    def __init__(self, message_key: str, detail: str = "") -> None:
        """Keep the translation key and a log detail."""
        super().__init__(message_key if not detail else f"{message_key}: {detail}")
        self.message_key = message_key
        self.detail = detail


@dataclass(frozen=True)
class FaceObservation:
    """The chosen face of one frame: its box, 128-d encoding and simple quality figures."""

    box: Box
    encoding: np.ndarray = field(repr=False)
    quality: dict[str, float]
    faces_found: int = 1
    # When the mirrored chip was encoded too: (plain view, mirrored view); `encoding` is
    # then their mean. None for a plain single-view observation.
    views: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)


@dataclass(frozen=True)
class IdentifyResult:
    """Outcome of a 1:N search; `person_id` is None unless reason == "matched"."""

    person_id: PersonId | None
    distance: float | None
    score: float | None
    runner_up_distance: float | None
    reason: str  # "matched" | "no_match" | "ambiguous" | "empty_roster" | "not_enrolled" (verify)
    best_candidate: PersonId | None = None  # nearest person even when not matched (for staff review)
    # Cohort-normalised figure (distance / mean distance to the nearest other people of
    # the roster); None when the roster was too small and raw distances decided.
    ratio: float | None = None
    cohort_size: int = 0  # other people the ratio was computed against

    @property
    def matched(self) -> bool:
        """True when a person was identified."""
        return self.reason == "matched"


# dlib's detector and encoder objects are shared module globals of face_recognition and
# are not safe to use from two threads at once (seen: a segfault when the warm-up thread
# and the identification thread detected at the same moment). Every call holds this lock.
_DLIB_LOCK = threading.Lock()


class _Library:
    """Lazy, thread-safe loader of the face_recognition module (about 1 s of model loading)."""

    def __init__(self) -> None:
        """Nothing is imported yet."""
        self._module: Any = None
        self._lock = threading.Lock()

    def get(self) -> Any:
        """The face_recognition module, imported on first use."""
        if self._module is None:
            with self._lock:
                if self._module is None:
                    with warnings.catch_warnings():  # face_recognition_models uses pkg_resources
                        warnings.filterwarnings("ignore", message="pkg_resources is deprecated")
                        import face_recognition  # noqa: PLC0415 - deliberately lazy

                    self._module = face_recognition
        return self._module


_LIBRARY = _Library()


def _quality(frame_bgr: np.ndarray, box: Box) -> dict[str, float]:
    """Face width in px, sharpness (variance of the Laplacian) and mean brightness of the crop."""
    top, right, bottom, left = box
    crop = frame_bgr[top:bottom, left:right]
    if crop.size == 0:
        return {"face_width": float(right - left), "sharpness": 0.0, "brightness": 0.0}
    grey = cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    return {
        "face_width": float(right - left),
        "sharpness": float(cv2.Laplacian(grey, cv2.CV_64F).var()),
        "brightness": float(grey.mean()),
    }


def _choose_face(boxes: Sequence[Box], width: int, height: int, tie: float = 0.9) -> Box:
    """Largest face; faces within `tie` of the largest area count as equal and the most central wins."""
    areas = [max(0, b[2] - b[0]) * max(0, b[1] - b[3]) for b in boxes]
    largest = max(areas)
    cx, cy = width / 2.0, height / 2.0

    def off_centre(box: Box) -> float:
        """Squared distance of the box centre from the frame centre."""
        top, right, bottom, left = box
        return ((left + right) / 2.0 - cx) ** 2 + ((top + bottom) / 2.0 - cy) ** 2

    candidates = [b for b, a in zip(boxes, areas) if a >= tie * largest]
    return min(candidates, key=off_centre)


class FaceEngine:
    """Finds the main face of a frame and encodes it; detection runs on a ~320 px copy."""

    def __init__(
        self,
        detect_width: int = 320,
        upsample: int = 1,
        num_jitters: int = 1,
        flip: bool = False,
        enrol_flip: bool = True,
        enrol_jitters: int | None = None,
    ) -> None:
        """Settings for HOG detection and encoding; the models load lazily.

        `flip` also encodes the mirrored face chip of every observed frame and averages
        the two views (about +75 ms a frame); `enrol_flip` does so for enrolment only.
        `enrol_jitters` (default: `num_jitters`) is dlib's re-sampling count for
        enrolment templates.
        """
        self.detect_width = detect_width
        self.upsample = upsample
        self.num_jitters = num_jitters
        self.flip = flip
        self.enrol_flip = enrol_flip
        self.enrol_jitters = num_jitters if enrol_jitters is None else enrol_jitters
        self._warm: threading.Thread | None = None

    def warm_up(self) -> threading.Thread:
        """Load face_recognition and its models in a background thread (idempotent)."""
        if self._warm is None:
            self._warm = threading.Thread(target=self._warm_body, name="face-warm-up", daemon=True)
            self._warm.start()
        return self._warm

    @staticmethod
    def _warm_body() -> None:
        """Import the library and run the detector and encoder once on a blank image."""
        try:
            fr = _LIBRARY.get()
            blank = np.zeros((100, 100, 3), dtype=np.uint8)
            with _DLIB_LOCK:
                fr.face_locations(blank, 0, "hog")
                fr.face_encodings(blank, known_face_locations=[(20, 80, 80, 20)])
        except Exception:  # warm-up is an optimisation; a real failure shows on first use
            _LOG.exception("face engine warm-up failed")

    def detect(self, frame_bgr: np.ndarray) -> list[Box]:
        """All face boxes found, in full-frame coordinates (HOG on a downscaled copy)."""
        fr = _LIBRARY.get()
        height, width = frame_bgr.shape[:2]
        scale = self.detect_width / width if self.detect_width and width > self.detect_width else 1.0
        small = frame_bgr
        if scale != 1.0:
            size = (self.detect_width, max(1, round(height * scale)))
            small = cv2.resize(frame_bgr, size, interpolation=cv2.INTER_AREA)
        rgb_small = np.ascontiguousarray(small[:, :, ::-1])
        with _DLIB_LOCK:
            found = fr.face_locations(rgb_small, self.upsample, "hog")
        boxes = []
        for top, right, bottom, left in found:
            boxes.append(
                (
                    max(0, round(top / scale)),
                    min(width, round(right / scale)),
                    min(height, round(bottom / scale)),
                    max(0, round(left / scale)),
                )
            )
        return boxes

    def observe(
        self, frame_bgr: np.ndarray, flip: bool | None = None, num_jitters: int | None = None
    ) -> FaceObservation | None:
        """The largest (then most central) face with its encoding and quality, or None.

        `flip` (default: the engine's `flip`) also encodes the mirrored chip and
        returns the mean of both views as `encoding` (both views in `views`).
        """
        if frame_bgr is None or frame_bgr.ndim != 3 or frame_bgr.shape[2] != 3:
            return None
        frame_bgr = np.ascontiguousarray(frame_bgr, dtype=np.uint8)
        boxes = self.detect(frame_bgr)
        if not boxes:
            return None
        height, width = frame_bgr.shape[:2]
        box = _choose_face(boxes, width, height)
        rgb = np.ascontiguousarray(frame_bgr[:, :, ::-1])
        encoding, views = self.encode(
            rgb,
            box,
            flip=self.flip if flip is None else flip,
            num_jitters=self.num_jitters if num_jitters is None else num_jitters,
        )
        if encoding is None:
            return None
        return FaceObservation(
            box=box,
            encoding=encoding,
            quality=_quality(frame_bgr, box),
            faces_found=len(boxes),
            views=views,
        )

    def encode(
        self, rgb: np.ndarray, box: Box, flip: bool = False, num_jitters: int = 1
    ) -> tuple[np.ndarray | None, tuple[np.ndarray, np.ndarray] | None]:
        """128-d encoding of the face in `box` of an RGB image; with `flip`, the mean of
        the plain and the mirrored aligned chip (and both views)."""
        api = _LIBRARY.get().api  # face_recognition.api holds the loaded dlib models
        top, right, bottom, left = box
        with _DLIB_LOCK:
            shape = api.pose_predictor_5_point(rgb, api.dlib.rectangle(left, top, right, bottom))
            if shape.num_parts != 5:
                return None, None
            plain = np.asarray(
                api.face_encoder.compute_face_descriptor(rgb, shape, max(1, num_jitters)),
                dtype=np.float64,
            )
            if not flip:
                return plain, None
            # the same alignment dlib applies inside compute_face_descriptor (150 px, 25 %)
            chip = api.dlib.get_face_chip(rgb, shape, 150, 0.25)
            mirrored = np.asarray(
                api.face_encoder.compute_face_descriptor(
                    np.ascontiguousarray(chip[:, ::-1]), max(1, num_jitters)
                ),
                dtype=np.float64,
            )
        return (plain + mirrored) / 2.0, (plain, mirrored)

    def enrol(self, frames: Iterable[np.ndarray], minimum: int = 2) -> list[np.ndarray]:
        """Encodings of the frames that show a face; EnrolmentError("enrol.no_face") if < minimum.

        Enrolment templates use `enrol_flip` and `enrol_jitters` (slower, better).
        """
        encodings = []
        for frame in frames:
            observation = self.observe(frame, flip=self.enrol_flip, num_jitters=self.enrol_jitters)
            if observation is not None:
                encodings.append(observation.encoding)
        if len(encodings) < minimum:
            raise EnrolmentError("enrol.no_face", f"{len(encodings)} usable face(s), need {minimum}")
        return encodings


class FaceIndex:
    """Roster of face templates searched 1:N (proposal) or checked 1:1 (claimed person).

    Each person is represented by the mean (centroid) of their templates; with
    several probe frames the per-frame distances to each centroid are averaged,
    so the distance scale does not depend on the number of frames.

    When the roster has at least `min_cohort` people besides the candidate, the
    decision also uses the cohort ratio: the fused distance to the candidate divided
    by the mean fused distance to the nearest max(`cohort_k`, `cohort_fraction` x
    others) other people (the rest of the roster is the cohort; nothing is learned
    or shipped). `threshold` and
    `margin` keep their meaning (raw distance ceiling, runner-up gap) for 1:N.
    """

    def __init__(
        self,
        templates: Mapping[PersonId, Sequence[np.ndarray]],
        threshold: float = DEFAULT_THRESHOLD,
        margin: float = DEFAULT_MARGIN,
        *,
        identify_ratio: float = DEFAULT_IDENTIFY_RATIO,
        small_roster_threshold: float = SMALL_ROSTER_THRESHOLD,
        verify_ratio: float = DEFAULT_VERIFY_RATIO,
        verify_distance: float = DEFAULT_VERIFY_DISTANCE,
        cohort_k: int = DEFAULT_COHORT_K,
        cohort_fraction: float = DEFAULT_COHORT_FRACTION,
        min_cohort: int = MIN_COHORT,
    ) -> None:
        """Average each person's templates into one row of the centroid matrix."""
        self.threshold = threshold
        self.margin = margin
        self.identify_ratio = identify_ratio
        self.small_roster_threshold = small_roster_threshold
        self.verify_ratio = verify_ratio
        self.verify_distance = verify_distance
        self.cohort_k = cohort_k
        self.cohort_fraction = cohort_fraction
        self.min_cohort = max(min_cohort, cohort_k)
        people, rows = [], []
        for person_id, person_templates in templates.items():
            vectors = [np.asarray(t, dtype=np.float64).reshape(-1) for t in person_templates]
            if vectors:
                people.append(person_id)
                rows.append(np.mean(vectors, axis=0))
        self.person_ids: list[PersonId] = people
        self._position = {person_id: i for i, person_id in enumerate(people)}
        self._centroids = np.vstack(rows) if rows else np.zeros((0, 128))
        self._sq_norms = np.einsum("ij,ij->i", self._centroids, self._centroids)

    def __len__(self) -> int:
        """Number of people with at least one template."""
        return len(self.person_ids)

    def __contains__(self, person_id: object) -> bool:
        """True if the person has templates in this index."""
        return person_id in self._position

    @property
    def has_cohort(self) -> bool:
        """True when decisions use the cohort ratio (at least `min_cohort` other people)."""
        return self.cohort_k > 0 and len(self.person_ids) - 1 >= self.min_cohort

    def distances(self, encodings: Sequence[np.ndarray]) -> np.ndarray:
        """Fused distance of the probe frames to every person (same order as `person_ids`)."""
        probes = np.atleast_2d(np.asarray(encodings, dtype=np.float64))
        squared = (
            np.einsum("ij,ij->i", probes, probes)[:, None]
            + self._sq_norms[None, :]
            - 2.0 * probes @ self._centroids.T
        )
        return np.sqrt(np.maximum(squared, 0.0)).mean(axis=0)

    def cohort_ratio(
        self, fused: np.ndarray, position: int, exclude: Iterable[int] = ()
    ) -> tuple[float | None, int]:
        """Distance to `position` over the mean distance to the nearest others.

        The nearest max(`cohort_k`, round(`cohort_fraction` x others)) of the other people
        count. `fused` are the fused distances to every person; `exclude` removes further
        positions from the cohort (the evaluation excludes the probe's own identity).
        Returns (None, 0) when fewer than `min_cohort` others remain (or `cohort_k` is 0).
        """
        mask = np.ones(len(fused), dtype=bool)
        mask[position] = False
        for other in exclude:
            mask[other] = False
        others = fused[mask]
        if self.cohort_k <= 0 or len(others) < self.min_cohort:
            return None, 0
        k = min(len(others), max(self.cohort_k, int(round(self.cohort_fraction * len(others)))))
        nearest = np.partition(others, k - 1)[:k]
        scale = float(nearest.mean())
        if scale <= 0.0:
            return None, 0
        return float(fused[position]) / scale, int(len(others))

    def identify(self, encodings: Sequence[np.ndarray]) -> IdentifyResult:
        """Best person if ahead of the runner-up by `margin` and either within the strict raw
        distance `small_roster_threshold` or, with a cohort, within `threshold` at a ratio
        <= `identify_ratio`."""
        if not self.person_ids:
            return IdentifyResult(None, None, None, None, "empty_roster")
        if len(encodings) == 0:
            raise ValueError("identify needs at least one encoding")
        fused = self.distances(encodings)
        order = np.argsort(fused, kind="stable")
        best = int(order[0])
        distance = float(fused[best])
        runner_up = float(fused[order[1]]) if len(order) > 1 else None
        candidate = self.person_ids[best]
        ratio, cohort_size = self.cohort_ratio(fused, best)
        strict = min(self.threshold, self.small_roster_threshold)
        accepted = distance <= strict or (
            ratio is not None and distance <= self.threshold and ratio <= self.identify_ratio
        )
        if not accepted:
            reason, person = "no_match", None
        elif runner_up is not None and runner_up - distance < self.margin:
            reason, person = "ambiguous", None
        else:
            reason, person = "matched", candidate
        return IdentifyResult(
            person, distance, 1.0 - distance, runner_up, reason, candidate, ratio, cohort_size
        )

    def verify(
        self,
        person_id: PersonId,
        encodings: Sequence[np.ndarray],
        *,
        exclude: Iterable[PersonId] = (),
    ) -> IdentifyResult:
        """1:1 check against a claimed person: ratio <= `verify_ratio` with a cohort,
        else raw distance <= `verify_distance` (no margin: the claim selects the person).

        `exclude` keeps further people out of the cohort (used by the evaluation).
        """
        if person_id not in self._position:
            return IdentifyResult(None, None, None, None, "not_enrolled")
        if len(encodings) == 0:
            raise ValueError("verify needs at least one encoding")
        fused = self.distances(encodings)
        position = self._position[person_id]
        distance = float(fused[position])
        skip = [self._position[p] for p in exclude if p in self._position and p != person_id]
        ratio, cohort_size = self.cohort_ratio(fused, position, skip)
        if ratio is None:
            matched = distance <= self.verify_distance
        else:
            matched = ratio <= self.verify_ratio
        return IdentifyResult(
            person_id if matched else None,
            distance,
            1.0 - distance,
            None,
            "matched" if matched else "no_match",
            person_id,
            ratio,
            cohort_size,
        )

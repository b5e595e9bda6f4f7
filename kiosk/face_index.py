"""Roster search (1:N identify, 1:1 verify) over face templates, fast enough for 100,000 people.

Matching rules (docs/ACCURACY.md has the figures and the protocol):

- Templates: each person is the centroid of their enrolment templates.
- Score normalisation against the roster: a raw dlib distance means little for East
  Asian faces (plain dlib falsely matches ~40 % of East Asian impostor pairs at 0.6).
  The index divides the distance to a person by the mean distance of the probe to the
  nearest 20 % (at least 3) of the *other* people of the roster (an adaptive,
  probe-side T-norm that needs no training data: at a centre the cohort is its own,
  mostly East Asian, roster). That ratio is what the thresholds apply to whenever the
  roster has at least MIN_COHORT other people; smaller rosters fall back to strict raw
  distances.

Speed: `identify`/`verify` scan every centroid in float32 (one einsum, no Python loop
over people), pick the candidates there, then recompute the distances that decide (best,
runner-up, claimed person) in float64 as `distances()` does. The cohort mean comes from
the float32 scan (error ~1e-7 relative). When a figure lands within a guard band of a
threshold, or the float32 scan cannot vouch for the runner-up, the call redoes the plain
float64 computation, so decisions match it exactly.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Hashable, Iterable, Mapping, Sequence

import numpy as np

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

# Fast path (numerical, not calibrated): candidates re-ranked in float64, and the guard
# bands around thresholds inside which the exact float64 path decides instead. float32
# distances of dlib vectors (norm ~1.5) are off by ~1e-6; the bands are 100x that.
_TOP_CANDIDATES = 32
_DISTANCE_GUARD = 1e-3
_RATIO_GUARD = 1e-4
_SPLIT_FROM = 20_000  # rosters this large scan on two cores (thread hand-off costs ~0.1 ms)
_HELPER: ThreadPoolExecutor | None = None
_HELPER_LOCK = threading.Lock()


def _helper() -> ThreadPoolExecutor:
    """The one helper thread of large scans, started on first use (never on import)."""
    global _HELPER  # noqa: PLW0603 - one lazily started pool per process
    with _HELPER_LOCK:
        if _HELPER is None:
            _HELPER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="face-index-scan")
        return _HELPER


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


class FaceIndex:
    """Roster of face templates searched 1:N (proposal) or checked 1:1 (claimed person).

    Each person is represented by the mean (centroid) of their templates; with
    several probe frames the per-frame distances to each centroid are averaged,
    so the distance scale does not depend on the number of frames.

    When the roster has at least `min_cohort` people besides the candidate, the
    decision also uses the cohort ratio: the fused distance to the candidate divided
    by the mean fused distance to the nearest max(`cohort_k`, `cohort_fraction` x
    others) other people (the rest of the roster is the cohort; nothing is learned
    or shipped). `threshold` and `margin` keep their meaning (raw distance ceiling,
    runner-up gap) for 1:N.
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
        # float32 copies for the full scan (half the memory traffic of float64)
        self._centroids32 = np.ascontiguousarray(self._centroids, dtype=np.float32)
        self._sq_norms32 = self._sq_norms.astype(np.float32)

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

    # ------------------------------------------------------------------ distances

    def distances(self, encodings: Sequence[np.ndarray]) -> np.ndarray:
        """Fused float64 distance of the probe frames to every person (order of `person_ids`)."""
        probes = np.atleast_2d(np.asarray(encodings, dtype=np.float64))
        return self._rows_distances(probes, slice(None))

    def _rows_distances(self, probes: np.ndarray, rows: slice | np.ndarray) -> np.ndarray:
        """Fused float64 distances to the selected centroid rows (the reference formula)."""
        squared = (
            np.einsum("ij,ij->i", probes, probes)[:, None]
            + self._sq_norms[rows][None, :]
            - 2.0 * probes @ self._centroids[rows].T
        )
        return np.sqrt(np.maximum(squared, 0.0)).mean(axis=0)

    def _scan32(self, probes: np.ndarray) -> np.ndarray:
        """Fused float32 distances to every person: the one full pass over the roster.

        Large rosters are split in two halves, the second scanned on a helper thread
        (numpy releases the GIL here): 100,000 people x 3 frames took 7.9 ms on one core,
        4.5 ms on two. einsum beat OpenBLAS's gemv/gemm for this shape (no packing)."""
        q = probes.astype(np.float32)
        q_sq = np.einsum("ij,ij->i", q, q)[:, None]
        out = np.empty(len(self.person_ids), dtype=np.float32)

        def part(start: int, stop: int) -> None:
            """Distances of rows start:stop into `out`."""
            work = np.einsum("ij,kj->ki", self._centroids32[start:stop], q)  # (P, rows)
            work *= -2.0
            work += self._sq_norms32[None, start:stop]
            work += q_sq
            np.maximum(work, 0.0, out=work)
            np.sqrt(work, out=work)
            if len(work) == 1:
                out[start:stop] = work[0]
            else:
                np.mean(work, axis=0, out=out[start:stop])

        n = len(out)
        if n < _SPLIT_FROM or (os.cpu_count() or 1) < 2:
            part(0, n)
            return out
        half = n // 2
        pending = _helper().submit(part, half, n)
        part(0, half)
        pending.result()
        return out

    def _cohort_size(self, others: int) -> int:
        """How many of `others` people form the cohort (0: too few for a ratio)."""
        if self.cohort_k <= 0 or others < self.min_cohort:
            return 0
        return min(others, max(self.cohort_k, int(round(self.cohort_fraction * others))))

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
        k = self._cohort_size(len(others))
        if k == 0:
            return None, 0
        scale = float(np.partition(others, k - 1)[:k].mean())
        if scale <= 0.0:
            return None, 0
        return float(fused[position]) / scale, int(len(others))

    # ------------------------------------------------------------------ decisions

    def _identify_decision(
        self, distance: float, runner_up: float | None, ratio: float | None
    ) -> str:
        """The 1:N rule on the deciding figures: matched, no_match or ambiguous."""
        strict = min(self.threshold, self.small_roster_threshold)
        accepted = distance <= strict or (
            ratio is not None and distance <= self.threshold and ratio <= self.identify_ratio
        )
        if not accepted:
            return "no_match"
        if runner_up is not None and runner_up - distance < self.margin:
            return "ambiguous"
        return "matched"

    def _identify_result(self, best: int, distance: float, runner_up: float | None,
                         ratio: float | None, cohort_size: int) -> IdentifyResult:
        """Package a 1:N outcome."""
        reason = self._identify_decision(distance, runner_up, ratio)
        candidate = self.person_ids[best]
        person = candidate if reason == "matched" else None
        return IdentifyResult(
            person, distance, 1.0 - distance, runner_up, reason, candidate, ratio, cohort_size
        )

    def _identify_exact(self, probes: np.ndarray) -> IdentifyResult:
        """The plain float64 computation (also the reference the fast path must agree with)."""
        fused = self._rows_distances(probes, slice(None))
        order = np.argsort(fused, kind="stable")
        best = int(order[0])
        runner_up = float(fused[order[1]]) if len(order) > 1 else None
        ratio, cohort_size = self.cohort_ratio(fused, best)
        return self._identify_result(best, float(fused[best]), runner_up, ratio, cohort_size)

    def identify(self, encodings: Sequence[np.ndarray]) -> IdentifyResult:
        """Best person if ahead of the runner-up by `margin` and either within the strict raw
        distance `small_roster_threshold` or, with a cohort, within `threshold` at a ratio
        <= `identify_ratio`."""
        if not self.person_ids:
            return IdentifyResult(None, None, None, None, "empty_roster")
        if len(encodings) == 0:
            raise ValueError("identify needs at least one encoding")
        probes = np.atleast_2d(np.asarray(encodings, dtype=np.float64))
        n = len(self.person_ids)
        if n <= _TOP_CANDIDATES:
            return self._identify_exact(probes)
        fast = self._scan32(probes)
        k = self._cohort_size(n - 1)
        # one selection pass over the values: the candidates' bound, and the k+1 nearest
        # (cohort plus best); cheaper than argpartition, which also moves the indices
        ranked = np.partition(fast, sorted({_TOP_CANDIDATES, k} - {0}))
        bound = float(ranked[_TOP_CANDIDATES])
        top = np.flatnonzero(fast <= bound)  # the 33 nearest (more on ties)
        exact = self._rows_distances(probes, top)
        order = np.lexsort((top, exact))  # ties resolved by position, as a stable sort does
        best, distance = int(top[order[0]]), float(exact[order[0]])
        runner_up = float(exact[order[1]])
        if runner_up + _DISTANCE_GUARD >= bound:
            return self._identify_exact(probes)  # the runner-up may lie beyond the candidates
        ratio = None
        if k:
            if fast[best] <= ranked[k]:  # best is among the k+1 nearest: drop it
                total = float(ranked[: k + 1].sum(dtype=np.float64)) - float(fast[best])
            else:
                fast[best] = np.inf
                total = float(np.partition(fast, k - 1)[:k].sum(dtype=np.float64))
            scale = total / k
            if scale <= 0.0:
                k = 0
            else:
                ratio = distance / scale
                if abs(ratio - self.identify_ratio) <= _RATIO_GUARD * self.identify_ratio:
                    return self._identify_exact(probes)
        return self._identify_result(best, distance, runner_up, ratio, n - 1 if k else 0)

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
        probes = np.atleast_2d(np.asarray(encodings, dtype=np.float64))
        position = self._position[person_id]
        skip = {self._position[p] for p in exclude if p in self._position and p != person_id}
        distance = float(self._rows_distances(probes, np.array([position]))[0])
        others = len(self.person_ids) - 1 - len(skip)
        k = self._cohort_size(others)
        ratio = None
        if k:
            fast = self._scan32(probes)
            fast[position] = np.inf
            if skip:
                fast[list(skip)] = np.inf
            scale = float(np.partition(fast, k - 1)[:k].sum(dtype=np.float64)) / k
            if scale > 0.0:
                ratio = distance / scale
                if abs(ratio - self.verify_ratio) <= _RATIO_GUARD * self.verify_ratio:
                    fused = self._rows_distances(probes, slice(None))  # exact, near the line
                    ratio, _size = self.cohort_ratio(fused, position, skip)
        matched = distance <= self.verify_distance if ratio is None else ratio <= self.verify_ratio
        return IdentifyResult(
            person_id if matched else None,
            distance,
            1.0 - distance,
            None,
            "matched" if matched else "no_match",
            person_id,
            ratio,
            others if ratio is not None else 0,
        )

"""FaceIndex decision rules on synthetic vectors: threshold, margin, fusion, vectorised search."""

from __future__ import annotations

import numpy as np
import pytest

from kiosk.face import DEFAULT_MARGIN, DEFAULT_THRESHOLD, FaceIndex


def unit(seed: int) -> np.ndarray:
    """A random 128-d vector of dlib-like scale."""
    v = np.random.default_rng(seed).normal(size=128)
    return v / np.linalg.norm(v)


def near(base: np.ndarray, distance: float, seed: int) -> np.ndarray:
    """A vector exactly `distance` away from `base`."""
    step = np.random.default_rng(seed).normal(size=128)
    return base + distance * step / np.linalg.norm(step)


def test_defaults_are_the_calibrated_values():
    index = FaceIndex({})
    assert (index.threshold, index.margin) == (DEFAULT_THRESHOLD, DEFAULT_MARGIN)


def test_empty_roster():
    result = FaceIndex({}).identify([unit(1)])
    assert result.reason == "empty_roster" and result.person_id is None and not result.matched


def test_match_no_match_and_ambiguous():
    a, b = unit(1), unit(2)
    index = FaceIndex({"a": [a], "b": [b]}, threshold=0.3, margin=0.05)
    matched = index.identify([near(a, 0.2, 3)])
    assert matched.reason == "matched" and matched.person_id == "a"
    assert matched.distance == pytest.approx(0.2)
    assert matched.score == pytest.approx(0.8)
    assert matched.runner_up_distance > 1.0

    far = index.identify([near(a, 0.35, 4)])
    assert far.reason == "no_match" and far.person_id is None and far.best_candidate == "a"

    twin = unit(5)
    close_pair = FaceIndex({"a": [twin], "b": [near(twin, 0.03, 6)]}, threshold=0.3, margin=0.05)
    ambiguous = close_pair.identify([near(twin, 0.1, 7)])
    assert ambiguous.reason == "ambiguous" and ambiguous.person_id is None


def test_templates_are_averaged_and_frames_fused():
    centre = unit(10)
    templates = [near(centre, 0.25, s) for s in (11, 12, 13)]
    index = FaceIndex({7: templates, 8: [unit(14)]}, threshold=0.3, margin=0.05)
    probes = [near(centre, 0.1, 15), near(centre, 0.2, 16)]
    result = index.identify(probes)
    assert result.person_id == 7  # any hashable id works
    expected = np.mean([np.linalg.norm(p - np.mean(templates, axis=0)) for p in probes])
    assert result.distance == pytest.approx(expected)
    assert index.verify(7, probes).matched
    assert not index.verify(8, probes).matched
    assert index.verify(99, probes).reason == "not_enrolled"


def test_vectorised_search_matches_a_plain_loop():
    rng = np.random.default_rng(0)
    roster = {f"p{i}": list(rng.normal(scale=0.1, size=(rng.integers(1, 4), 128))) for i in range(3000)}
    index = FaceIndex(roster)
    probes = list(rng.normal(scale=0.1, size=(3, 128)))
    fused = index.distances(probes)
    for i in (0, 1234, 2999):
        centroid = np.mean(roster[f"p{i}"], axis=0)
        loop = np.mean([np.linalg.norm(p - centroid) for p in probes])
        assert fused[i] == pytest.approx(loop)
    best = index.identify(probes)
    assert best.best_candidate == min(roster, key=lambda k: fused[index.person_ids.index(k)])


def cohort_roster(n: int = 8, seed: int = 100) -> dict[str, list[np.ndarray]]:
    """n people far apart (random unit directions scaled like dlib vectors)."""
    return {f"p{i}": [unit(seed + i) * 0.5] for i in range(n)}


def test_small_roster_falls_back_to_raw_distances():
    index = FaceIndex(cohort_roster(3))
    assert not index.has_cohort
    base = cohort_roster(3)["p0"][0]
    result = index.verify("p0", [near(base, 0.2, 1)])
    assert result.matched and result.ratio is None and result.cohort_size == 0
    assert not index.verify("p0", [near(base, 0.5, 2)]).matched  # > DEFAULT_VERIFY_DISTANCE
    # 1:N without a cohort keeps the strict raw threshold
    assert index.identify([near(base, 0.25, 3)]).reason == "matched"
    assert index.identify([near(base, 0.35, 4)]).reason == "no_match"


def test_verify_uses_the_cohort_ratio():
    roster = cohort_roster(8)
    index = FaceIndex(roster, cohort_k=5)
    assert index.has_cohort
    probe = [near(roster["p0"][0], 0.3, 5)]
    result = index.verify("p0", probe)
    fused = index.distances(probe)
    others = np.sort(fused[1:])[:5]
    assert result.cohort_size == 7
    assert result.ratio == pytest.approx(fused[0] / others.mean())
    assert result.distance == pytest.approx(fused[0])
    assert result.matched == (result.ratio <= index.verify_ratio)
    assert index.verify("p1", probe).reason == "no_match"  # p0's face claiming p1


def test_ratio_rescues_a_genuine_far_from_a_crowded_roster():
    """The same raw distance is accepted when the rest of the roster is far from the
    probe and refused when other people are about as close: the ratio is relative."""
    roster = cohort_roster(8)
    probe = [near(roster["p0"][0], 0.45, 6)]  # above the raw fallback threshold
    assert FaceIndex(roster).verify("p0", probe).matched
    crowded = dict(roster)
    for i in range(1, 8):
        crowded[f"p{i}"] = [near(probe[0], 0.5, 20 + i)]  # look-alikes 0.5 from the probe
    assert not FaceIndex(crowded).verify("p0", probe).matched


def test_verify_can_exclude_people_from_the_cohort():
    roster = cohort_roster(7)
    index = FaceIndex(roster, cohort_k=5)
    probe = [near(roster["p0"][0], 0.3, 7)]
    assert index.verify("p0", probe).cohort_size == 6
    assert index.verify("p0", probe, exclude=["p1"]).cohort_size == 5
    assert index.verify("p0", probe, exclude=["p1", "p2"]).ratio is None  # too few left


def test_identify_needs_ratio_threshold_and_margin_with_a_cohort():
    roster = cohort_roster(8)
    index = FaceIndex(roster, threshold=0.4, margin=0.05, identify_ratio=0.62)
    good = index.identify([near(roster["p3"][0], 0.2, 8)])
    assert good.reason == "matched" and good.person_id == "p3" and good.ratio < 0.62
    # within the raw threshold but the ratio is too high: people nearly as close
    probe = near(roster["p0"][0], 0.3, 9)
    crowded = {f"q{i}": [near(probe, 0.4, 40 + i)] for i in range(6)}
    crowded["p0"] = roster["p0"]
    result = FaceIndex(crowded, threshold=0.4, margin=0.0, identify_ratio=0.62).identify([probe])
    assert result.best_candidate == "p0" and result.reason == "no_match" and result.ratio > 0.62

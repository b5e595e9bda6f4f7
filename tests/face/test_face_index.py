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

"""1:1 verify (claimed person) on real East Asian photos, the kiosk's hard case.

Roster: the 25 East Asian identities enrolled from their first three photos
(mirrored-view templates, as `FaceEngine.enrol` makes them); probes: every other
photo, plain view. Impostor trials: every photo of one person claiming another."""

from __future__ import annotations

import numpy as np
import pytest

from kiosk.face import FaceIndex

pytestmark = pytest.mark.slow  # shares the ~15 s of encodings with test_face_identification


@pytest.fixture(scope="module")
def east_asian_trials(face_groups, face_encodings, face_templates):
    people = sorted(who for who, group in face_groups.items() if group == "east_asian")
    enrolled = {who: min(3, len(face_encodings(who)) - 1) for who in people}
    index = FaceIndex({who: face_templates(who)[: enrolled[who]] for who in people})
    genuine, impostor = [], []
    for who in people:
        for n, probe in enumerate(face_encodings(who)):
            for claimed in people:
                if claimed == who and n < enrolled[who]:
                    continue
                # the probe's own identity stays out of the cohort (an unenrolled impostor)
                result = index.verify(claimed, [probe], exclude=[who])
                (genuine if claimed == who else impostor).append(result)
    return genuine, impostor


def test_cohort_ratio_decides_with_a_full_roster(east_asian_trials):
    genuine, impostor = east_asian_trials
    assert all(r.ratio is not None and r.cohort_size == 24 for r in genuine)  # all but the claimed
    assert all(r.ratio is not None and r.cohort_size == 23 for r in impostor)  # and the probe's own


def test_genuine_east_asian_probes_are_verified(east_asian_trials):
    genuine, _ = east_asian_trials
    assert len(genuine) >= 50
    fnmr = np.mean([not r.matched for r in genuine])
    assert fnmr <= 0.05, fnmr


def test_east_asian_impostors_are_refused(east_asian_trials):
    _, impostor = east_asian_trials
    assert len(impostor) > 2500
    fmr = np.mean([r.matched for r in impostor])
    assert fmr <= 0.02, fmr  # plain dlib at 0.6 accepts about 40 % of these


def test_ratio_separates_better_than_the_raw_distance(east_asian_trials):
    """Equal error rate of the cohort ratio against the raw centroid distance."""

    def eer(g, i):
        ths = np.unique(np.concatenate([g, i]))
        fnmr = np.array([np.mean(g > t) for t in ths])
        fmr = np.array([np.mean(i <= t) for t in ths])
        k = np.argmin(np.abs(fnmr - fmr))
        return (fnmr[k] + fmr[k]) / 2

    genuine, impostor = east_asian_trials
    ratio = eer(np.array([r.ratio for r in genuine]), np.array([r.ratio for r in impostor]))
    raw = eer(np.array([r.distance for r in genuine]), np.array([r.distance for r in impostor]))
    assert ratio < raw

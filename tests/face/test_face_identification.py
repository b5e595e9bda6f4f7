"""1:N identification on real faces: genuine people found, unenrolled people (East Asian) not."""

from __future__ import annotations

import pytest

from kiosk.face import FaceIndex

pytestmark = pytest.mark.slow  # encodes about 160 real photos (~15 s) once per session


def roster_of(face_templates, identities, enrolled=3):
    """Enrolment templates (as FaceEngine.enrol makes them) of the first `enrolled` photos."""
    return {who: face_templates(who)[:enrolled] for who in identities}


@pytest.fixture(scope="module")
def east_asians(face_groups):
    return sorted(who for who, group in face_groups.items() if group == "east_asian")


@pytest.mark.parametrize(
    "person, enrolled, probes",
    [
        ("Roh_Moo-hyun", 3, [4]),
        ("Junichiro_Koizumi", 3, [5]),
        ("Kim_Ryong-sung", 3, [9]),
        ("Zhu_Rongji", 2, [3]),
        ("Kwon_Yang-sook", 2, [3]),
        ("Roh_Moo-hyun", 3, [4, 5, 6]),  # several frames fused
    ],
)
def test_enrolled_east_asian_person_is_found_with_another_photo(
    face_templates, face_encodings, east_asians, person, enrolled, probes
):
    roster = roster_of(face_templates, east_asians)
    roster[person] = face_templates(person)[:enrolled]
    index = FaceIndex(roster)
    photos = face_encodings(person)
    result = index.identify([photos[n - 1] for n in probes])
    assert result.reason == "matched", result
    assert result.person_id == person


def test_enrolled_person_is_found_in_a_mixed_roster(face_templates, face_encodings, east_asians):
    others = ["Scarlett_Johansson", "Barack_Obama", "Tony_Blair", "BBT_penny"]
    roster = roster_of(face_templates, east_asians + others, enrolled=2)
    result = FaceIndex(roster).identify([face_encodings("Scarlett_Johansson")[2]])
    assert result.person_id == "Scarlett_Johansson", result


def test_unenrolled_east_asian_people_are_not_identified(face_templates, face_encodings, east_asians):
    """Each East Asian identity, absent from a roster of the 24 others, on every photo."""
    false_identifications = []
    trials = 0
    for absent in east_asians:
        index = FaceIndex(roster_of(face_templates, [w for w in east_asians if w != absent]))
        for number, encoding in enumerate(face_encodings(absent), start=1):
            trials += 1
            result = index.identify([encoding])
            if result.person_id is not None:
                false_identifications.append((f"{absent}/{number}", result.person_id, result.distance))
    assert trials >= 100
    assert false_identifications == []


def test_unenrolled_people_of_other_groups_are_not_identified(face_templates, face_encodings, east_asians):
    index = FaceIndex(roster_of(face_templates, east_asians + ["Scarlett_Johansson"]))
    for absent in ["Barack_Obama", "Tony_Blair", "BBT_penny"]:
        for encoding in face_encodings(absent):
            assert index.identify([encoding]).person_id is None

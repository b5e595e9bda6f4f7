"""Enrolment tokens as staff handle them: pasted after ``kiosk-provision --token``."""
from server_api.server import tokens


def test_no_enrolment_token_begins_with_a_dash():
    # 2,000 tokens: without the rule about 31 of them would begin with "-" (1 in 64).
    made = [tokens.new_secret() for _ in range(2000)]
    assert not [t for t in made if t.startswith("-")]
    assert len(set(made)) == len(made)
    assert all(len(t) == 43 and t.isascii() for t in made)

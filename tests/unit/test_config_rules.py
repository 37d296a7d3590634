import pytest

from paas.domain.config import MAX_CONFIG_BYTES, apply_changes, parse_assignments, validate_key
from paas.errors import InvalidInput


@pytest.mark.parametrize("key", ["A", "_X", "database_url", "A1_B2"])
def test_valid_keys(key):
    assert validate_key(key) == key


@pytest.mark.parametrize("key,message", [
    ("1A", "not starting with a digit"), ("A-B", "use letters"), ("", "use letters"),
    ("PAAS_X", "prefix is reserved"), ("paas_x", "prefix is reserved"), ("A B", "use letters"),
    (None, "use letters"),
])
def test_invalid_keys(key, message):
    with pytest.raises(InvalidInput, match=message):
        validate_key(key)


def test_values_keep_equals_spaces_newlines_and_unicode():
    assert parse_assignments(["A=b=c", "B= x y ", "C=line1\nline2", "D=héllo ✓", "E="]) == {
        "A": "b=c", "B": " x y ", "C": "line1\nline2", "D": "héllo ✓", "E": ""}


def test_assignment_without_equals_is_refused():
    with pytest.raises(InvalidInput, match="'FOO' is not KEY=VALUE"):
        parse_assignments(["FOO"])


def test_apply_sets_unsets_and_sorts():
    assert apply_changes({"B": "1", "C": "2"}, {"A": "x", "B": "3"}, ["C"]) == {"A": "x", "B": "3"}


def test_over_the_limit_is_refused_and_nothing_changes():
    current = {"A": "x"}
    with pytest.raises(InvalidInput, match="the limit is 32768 bytes"):
        apply_changes(current, {"BIG": "x" * MAX_CONFIG_BYTES}, [])
    assert current == {"A": "x"}


def test_limit_counts_utf8_bytes():
    apply_changes({}, {"K": "é" * ((MAX_CONFIG_BYTES - 1) // 2)}, [])
    with pytest.raises(InvalidInput):
        apply_changes({}, {"K": "é" * (MAX_CONFIG_BYTES // 2)}, [])

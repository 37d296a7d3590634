import pytest

from paas.domain.names import validate_app_name
from paas.errors import InvalidInput


@pytest.mark.parametrize("name", ["a", "hello", "my-app-2", "a" * 30])
def test_valid_names(name):
    assert validate_app_name(name) == name


@pytest.mark.parametrize("name", ["", "../x", "Foo", "a" * 31, "a" * 200, "1app", "-app", "app_1",
                                  "app.x", "app/x", "héllo", None, 42, "app\n"])
def test_invalid_names_are_rejected_with_one_line(name):
    with pytest.raises(InvalidInput) as err:
        validate_app_name(name)
    assert "invalid app name" in err.value.message
    assert "\n" not in err.value.message
    assert len(err.value.message) < 200

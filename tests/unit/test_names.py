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


@pytest.mark.parametrize("domain,expected", [
    ("www.example.com", "www.example.com"), ("Example.COM.", "example.com"),
    ("*.example.com", "*.example.com"), ("a-b.c1.io", "a-b.c1.io"),
])
def test_valid_domains(domain, expected):
    from paas.domain.names import validate_domain
    assert validate_domain(domain) == expected


@pytest.mark.parametrize("domain", ["", "localhost", "-a.com", "a-.com", "a..com", "a.com;",
                                    "a com.org", "x" * 64 + ".com", "ex ample.com",
                                    "a.com\nserver_name evil", "*", "a.*.com", None])
def test_invalid_domains(domain):
    from paas.domain.names import validate_domain
    with pytest.raises(InvalidInput, match="invalid domain"):
        validate_domain(domain)

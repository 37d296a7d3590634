import pytest

from paas.domain.procfile import parse_procfile
from paas.errors import InvalidInput


def test_parses_types_comments_and_blank_lines():
    text = "# processes\nweb: gunicorn app:app --bind 0.0.0.0:$PORT\n\nworker:python worker.py  \nrelease_1: ./migrate\n"
    assert parse_procfile(text) == {
        "web": "gunicorn app:app --bind 0.0.0.0:$PORT",
        "worker": "python worker.py",
        "release_1": "./migrate",
    }


def test_command_may_contain_colons():
    assert parse_procfile("web: sh -c 'echo a:b'") == {"web": "sh -c 'echo a:b'"}


def test_duplicate_type_names_the_line():
    with pytest.raises(InvalidInput, match="line 3: process type 'web' is defined twice"):
        parse_procfile("web: a\nworker: b\nweb: c\n")


@pytest.mark.parametrize("text,message", [
    ("web gunicorn", "line 1: expected 'type: command'"),
    ("we b: x", "line 1: expected 'type: command'"),
    ("web:", "line 1: process type 'web' has no command"),
    ("x" * 64 + ": cmd", "line 1: expected 'type: command'"),
])
def test_malformed_lines(text, message):
    with pytest.raises(InvalidInput, match=message):
        parse_procfile(text)


def test_empty_procfile_has_no_processes():
    assert parse_procfile("\n# nothing\n") == {}

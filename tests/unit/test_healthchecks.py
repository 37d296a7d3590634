import pytest

from paas.domain.healthchecks import Check, from_json, parse_app_json, to_json
from paas.errors import InvalidInput


def test_dokku_form():
    text = """{"healthchecks": {"web": [{"type": "startup", "name": "ready", "path": "/ready",
               "content": "ok", "attempts": 5, "timeout": 2, "wait": 0.5, "initialDelay": 1},
               {"type": "liveness", "path": "/live"}]}}"""
    checks = parse_app_json(text)
    assert checks == {"web": [Check("/ready", "ok", 5, 2.0, 0.5, 1.0)]}
    assert checks["web"][0].deadline == 1 + 5 * 2.5
    assert from_json(to_json(checks)) == checks


def test_absent_or_empty():
    assert parse_app_json(None) == {} and parse_app_json('{"name": "x"}') == {}
    assert parse_app_json('{"healthchecks": {"web": [{}]}}') == {"web": [Check()]}


@pytest.mark.parametrize("text,message", [
    ("{", "app.json is not valid JSON"),
    ('{"healthchecks": []}', "healthchecks must be an object"),
    ('{"healthchecks": {"web": {}}}', "healthchecks.web must be a list"),
    ('{"healthchecks": {"web": [{"path": "ready"}]}}', "path must start with '/'"),
    ('{"healthchecks": {"web": [{"timeout": -1}]}}', "timeout must be a number"),
    ('{"healthchecks": {"web": [{"attempts": "3"}]}}', "attempts must be a number"),
])
def test_bad_app_json(text, message):
    with pytest.raises(InvalidInput, match=message):
        parse_app_json(text)

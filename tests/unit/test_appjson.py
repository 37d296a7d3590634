"""app.json: predeploy script and formation (health checks have their own tests)."""
import pytest

from paas.domain.appjson import AppJson, initial_formation, parse
from paas.errors import InvalidInput


def test_nothing_declared():
    assert parse(None) == AppJson() and parse("{}") == AppJson()


def test_predeploy_and_formation():
    text = ('{"scripts": {"dokku": {"predeploy": " python manage.py migrate "}},'
            ' "formation": {"web": {"quantity": 2}, "worker": {}}}')
    declared = parse(text)
    assert declared.predeploy == "python manage.py migrate"
    assert declared.formation == {"web": 2, "worker": 1}


@pytest.mark.parametrize("text,message", [
    ('{"scripts": {"dokku": {"predeploy": 3}}}', "predeploy must be a command"),
    ('{"scripts": {"dokku": {"predeploy": "  "}}}', "predeploy must be a command"),
    ('{"formation": []}', "formation must be an object"),
    ('{"formation": {"web": {"quantity": -1}}}', "quantity must be a whole number from 0 to 50"),
    ('{"formation": {"web": {"quantity": true}}}', "quantity must be a whole number"),
    ('{"formation": {"web": {"quantity": 51}}}', "from 0 to 50"),
    ('{"formation": {"we b": {"quantity": 1}}}', "invalid process type"),
    ('{"formation": ', "not valid JSON"),
])
def test_bad_declarations_are_refused(text, message):
    with pytest.raises(InvalidInput, match=message):
        parse(text)


def test_declared_formation_applies_at_first_deploy_then_only_to_new_types():
    assert initial_formation({"web": 1}, {"web": 2, "worker": 1}, first_deploy=True) == {"web": 2, "worker": 1}
    assert initial_formation({"web": 3}, {"web": 2, "worker": 1}, first_deploy=False) == {"web": 3, "worker": 1}
    assert initial_formation({"web": 3, "worker": 0}, {"worker": 1}, first_deploy=False) == {"web": 3, "worker": 0}

import pytest

from paas.domain.models import Release
from paas.domain.releases import diff, images_to_keep, parse_version
from paas.errors import InvalidInput


def rel(version, status="succeeded", image=None, config=None, commit="a" * 40):
    return Release(app="a", version=version, image=image or f"img:{version}", config=config or {},
                   processes={}, commit=commit, description="", status=status,
                   created_by="admin", created_at=0.0)


@pytest.mark.parametrize("text,number", [("v1", 1), ("3", 3), ("v12", 12), (7, 7)])
def test_parse_version(text, number):
    assert parse_version(text) == number


@pytest.mark.parametrize("text", ["v0", "vX", "", "v-1", "1.0", "v01", None, "v1234567890"])
def test_bad_versions(text):
    with pytest.raises(InvalidInput, match="invalid release"):
        parse_version(text)


def test_diff_names_keys_never_values():
    before = rel(1, config={"A": "1", "B": "2", "C": "3"}, commit="a" * 40)
    after = rel(2, config={"A": "1", "B": "SECRETVALUE", "D": "4"}, commit="b" * 40)
    d = diff(before, after)
    assert (d.added, d.removed, d.changed) == (["D"], ["C"], ["B"])
    assert d.commit_range == ("a" * 40, "b" * 40) and d.image_changed
    assert "SECRETVALUE" not in repr(d)


def test_diff_of_first_release_and_of_a_config_only_release():
    assert diff(None, rel(1, config={"A": "1"})).added == ["A"]
    same_image = diff(rel(1, image="i"), rel(2, image="i", config={"X": "1"}))
    assert not same_image.image_changed and same_image.commit_range is None


def test_retention_keeps_newest_succeeded_and_pending():
    releases = [rel(v) for v in range(1, 13)] + [rel(13, status="failed"), rel(14, status="pending")]
    keep = images_to_keep(releases, 10)
    assert keep == {f"img:{v}" for v in range(3, 13)} | {"img:14"}


def test_retention_shares_images_between_releases():
    # a config release reuses its predecessor's image; keeping it keeps both
    releases = [rel(1, image="i1"), rel(2, image="i1"), rel(3, image="i3")]
    assert images_to_keep(releases, 2) == {"i1", "i3"}

"""System checks catch bad settings before the first request."""

from __future__ import annotations

import pytest
from aerospike_testproject.testing import cache_entry
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError


def messages():
    """The django_aerospike messages of a full check run, by id."""
    found = checks.run_checks(include_deployment_checks=False)
    return {
        message.id: message.msg
        for message in found
        if (message.id or "").startswith("django_aerospike.")
    }


def test_the_test_project_passes_every_check():
    assert messages() == {}
    call_command("check")


def test_aerospike_setting_must_map_aliases_to_dicts(settings):
    settings.AEROSPIKE = ["127.0.0.1:3000"]
    assert "AEROSPIKE must map aliases" in messages()["django_aerospike.E001"]


def test_invalid_client_config_names_the_alias_and_the_key(settings):
    settings.AEROSPIKE = {**settings.AEROSPIKE, "broken": {"hosts": [], "pool": 3}}
    message = messages()["django_aerospike.E002"]
    assert "AEROSPIKE['broken']" in message and "pool" in message


def test_location_that_is_no_alias_nor_host_port(settings, set_prefix):
    entry = cache_entry(set_prefix, LOCATION="defualt")
    settings.CACHES = {**settings.CACHES, "typo": entry}
    message = messages()["django_aerospike.E003"]
    assert "CACHES['typo']" in message and "'defualt'" in message
    assert "default" in message  # the aliases that do exist


def test_timeout_inside_options_is_pointed_out(settings, set_prefix):
    entry = cache_entry(set_prefix, OPTIONS={"TIMEOUT": None})
    settings.CACHES = {**settings.CACHES, "misplaced": entry}
    message = messages()["django_aerospike.E003"]
    assert "TIMEOUT belong(s) beside OPTIONS" in message


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"serializer": "yaml"}, "serializer 'yaml' is unknown"),
        ({"compress_min_length": -1}, "compress_min_length"),
        ({"ignore_exceptions": "yes"}, "ignore_exceptions"),
        ({"set": "s" * 64}, "is 64 bytes; Aerospike allows 63"),
        ({"namespace": ""}, "namespace must be a non-empty str"),
        ({"client": {"max_conns_per_node": 0}}, "max_conns_per_node"),
    ],
)
def test_bad_option_values(settings, set_prefix, options, fragment):
    settings.CACHES = {"bad": cache_entry(set_prefix, OPTIONS=options)}
    assert fragment in messages()["django_aerospike.E003"]


def test_two_caches_sharing_a_set_are_warned_about(settings, set_prefix):
    settings.CACHES = {
        "a": cache_entry(f"same_{set_prefix}"),
        "b": cache_entry(f"same_{set_prefix}", KEY_PREFIX="b"),
    }
    message = messages()["django_aerospike.W001"]
    assert "CACHES['a'] and CACHES['b']" in message and "empties both" in message


def test_bad_session_settings(settings):
    settings.AEROSPIKE_SESSIONS = {"alias": "nope", "namespace": "test"}
    assert "no alias 'nope'" in messages()["django_aerospike.E004"]
    settings.AEROSPIKE_SESSIONS = {"sett": "typo"}
    assert "unknown key(s) ['sett']" in messages()["django_aerospike.E004"]


def test_session_set_shared_with_a_cache_is_an_error(settings, set_prefix):
    settings.AEROSPIKE_SESSIONS = {"set": f"c_{set_prefix}"}
    assert "log every user out" in messages()["django_aerospike.E005"]


def test_session_settings_are_not_checked_for_other_engines(settings):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    settings.AEROSPIKE_SESSIONS = {"alias": "nope"}
    assert messages() == {}


def test_manage_py_check_fails_on_errors(settings, set_prefix):
    settings.CACHES = {"bad": cache_entry(set_prefix, LOCATION="nowhere")}
    with pytest.raises(SystemCheckError, match=r"django_aerospike\.E003"):
        call_command("check")

"""DC-11 for the identity and peer settings (EDGE-2, SEC-6): one line naming field, value and what is allowed."""

from __future__ import annotations

import pytest
import yaml

from config import ConfigError, load
from config.load import ENVIRONMENTS_DIR

BAD_SETTINGS = [
    ("mfa off", ("identity", "mfa"), "off", ["identity.mfa", "'off'", "required", "optional"]),
    ("short passwords", ("identity", "password_min_length"), 8, ["identity.password_min_length", "8", "12"]),
    ("no population", ("identity", "populations"), [], ["identity.populations", "no population"]),
    (
        "population twice",
        ("identity", "populations"),
        ["merchants", "merchants"],
        ["identity.populations", "merchants listed twice"],
    ),
    ("bad population", ("identity", "populations"), ["Merchants!"], ["identity.populations", "'Merchants!'"]),
    (
        "ExternalId with a space",
        ("accounts", "peers", "staging", "external_id"),
        "not an id",
        ["accounts.peers.staging.external_id", "'not an id'", "ExternalId", "letters, digits"],
    ),
    (
        "peer without ExternalId",
        ("accounts", "peers", "staging"),
        {"account": "310987654321"},
        ["accounts.peers.staging.external_id", "required"],
    ),
    ("malformed peer account", ("accounts", "peers", "prod", "account"), "4109", ["accounts.peers.prod.account", "12"]),
    ("unknown peer", ("accounts", "peers"), {"qa": {"account": "310987654321", "external_id": "x-y"}}, ["'qa'"]),
]


@pytest.mark.req("DC-11")
@pytest.mark.parametrize("case,path,value,words", BAD_SETTINGS, ids=[c[0] for c in BAD_SETTINGS])
def test_bad_identity_or_peer_setting_is_one_clear_line(tmp_path, case, path, value, words):
    # GIVEN dev's configuration with one bad identity or peer setting
    data = yaml.safe_load((ENVIRONMENTS_DIR / "dev.yaml").read_text())
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    (tmp_path / "dev.yaml").write_text(yaml.safe_dump(data))
    # WHEN it is loaded THEN one line names the field, the value and what is allowed
    with pytest.raises(ConfigError) as error:
        load("dev", tmp_path)
    message = str(error.value)
    assert "\n" not in message
    for word in words:
        assert word in message, f"{word!r} missing from: {message}"


@pytest.mark.req("EDGE-2")
@pytest.mark.req("SEC-6")
@pytest.mark.parametrize("name", ["dev", "staging", "prod"])
def test_shipped_identity_and_peers(name):
    config = load(name)
    assert config.identity.populations == ("merchants", "customers")
    assert config.identity.mfa == "required" and config.identity.password_min_length >= 12
    assert config.accounts.own not in {peer.account for peer in config.accounts.peers.values()}
    external_ids = [peer.external_id for peer in config.accounts.peers.values()]
    assert len(set(external_ids)) == len(external_ids) and all(name in e for e in external_ids)

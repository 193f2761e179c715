"""DATA-7, DATA-10, DC-3, DC-11: the data tier's settings are validated data with one-line errors."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from config import ConfigError, load
from config.load import ENVIRONMENTS_DIR
from tests.support.synth import ROOT, synth_env


def _dev_with(tmp_path, section: str, **values):
    data = yaml.safe_load((ENVIRONMENTS_DIR / "dev.yaml").read_text())
    data[section].update(values)
    (tmp_path / "dev.yaml").write_text(yaml.safe_dump(data))
    return tmp_path


BAD_DATA_SETTINGS = [
    (
        "cold points deleted before 90 days",
        "backup",
        {"weekly_cold_storage_after_days": 30, "weekly_delete_after_days": 90},
        ["backup:", "weekly_delete_after_days 90", "120 or more"],
    ),
    ("vault name with capitals", "backup", {"vault_name": "Vault"}, ["backup.vault_name", "'Vault'"]),
    ("stream retention below a day", "retention", {"stream_hours": 12}, ["retention.stream_hours", "12"]),
    (
        "backup account without its vault",
        "accounts",
        {"backup": "510987654321", "backup_vault": None},
        ["accounts:", "backup_vault", "both set"],
    ),
    ("own account as backup account", "accounts", {"backup": "210987654321", "backup_vault": "v"}, ["own account"]),
]


@pytest.mark.req("DC-11")
@pytest.mark.parametrize("case,section,values,words", BAD_DATA_SETTINGS, ids=[c[0] for c in BAD_DATA_SETTINGS])
def test_bad_data_settings_are_one_line_naming_the_field_and_what_is_allowed(tmp_path, case, section, values, words):
    with pytest.raises(ConfigError) as raised:
        load("dev", _dev_with(tmp_path, section, **values))

    message = str(raised.value)
    assert "\n" not in message
    for word in words:
        assert word in message, f"{word!r} missing from: {message}"


@pytest.mark.req("DATA-10")
def test_weekly_points_are_kept_a_year_and_go_cold_in_prod_and_90_days_elsewhere():
    prod = load("prod").backup
    assert (prod.daily_retention_days, prod.weekly_cold_storage_after_days, prod.weekly_delete_after_days) == (
        35,
        30,
        365,
    )
    for environment in ("dev", "staging"):
        other = load(environment).backup
        # 90 days cannot hold 30 warm plus AWS Backup's 90 cold: the points stay warm until deleted
        assert (other.daily_retention_days, other.weekly_cold_storage_after_days, other.weekly_delete_after_days) == (
            35,
            None,
            90,
        )


@pytest.mark.req("DATA-10")
def test_only_prod_names_a_backup_account_for_cross_account_copies():
    assert load("prod").accounts.backup and load("prod").accounts.backup_vault
    assert load("dev").accounts.backup is None and load("staging").accounts.backup is None


@pytest.mark.req("DATA-7")
def test_every_environment_keeps_stream_records_24_hours():
    assert {load(environment).retention.stream_hours for environment in ("dev", "staging", "prod")} == {24}


@pytest.mark.req("DC-3")
def test_an_unknown_state_source_stops_synth_with_one_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "main.py", "dev"],
        cwd=ROOT,
        env={**synth_env(), "MERIDIAN_STATE_SOURCE": "backup", "CDKTF_OUTDIR": str(tmp_path / "out")},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        "meridian: configuration error: MERIDIAN_STATE_SOURCE is 'backup'; allowed: primary, replica"
    )
    assert not (tmp_path / "out").exists()

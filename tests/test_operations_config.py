"""DC-11 / OPS-3 / OPS-4: the operations section (subscribers, alarm thresholds, budget alerts) is validated
data with one-line errors, and prod's thresholds are stricter than dev's."""

from __future__ import annotations

import pytest
import yaml

from config import ConfigError, load
from config.load import ENVIRONMENTS_DIR


def _dev_with(tmp_path, **operations):
    data = yaml.safe_load((ENVIRONMENTS_DIR / "dev.yaml").read_text())
    for key, value in operations.items():
        if isinstance(value, dict):
            data["operations"][key].update(value)
        else:
            data["operations"][key] = value
    (tmp_path / "dev.yaml").write_text(yaml.safe_dump(data))
    return tmp_path


def _subscriber(protocol, endpoint):
    return [{"protocol": protocol, "endpoint": endpoint}]


BAD_OPERATIONS = [
    ("e-mail without a domain", {"alert_subscriptions": _subscriber("email", "oncall")}, ["e-mail address"]),
    ("webhook over http", {"alert_subscriptions": _subscriber("https", "http://alerts.example.com/x")}, ["https://"]),
    ("phone without country code", {"alert_subscriptions": _subscriber("sms", "4155550100")}, ["E.164"]),
    ("unknown protocol", {"alert_subscriptions": _subscriber("pigeon", "loft 4")}, ["protocol", "'pigeon'"]),
    ("nobody subscribed", {"alert_subscriptions": []}, ["operations.alert_subscriptions", "nobody hears"]),
    (
        "the same subscriber twice",
        {"alert_subscriptions": _subscriber("email", "a@example.org") * 2},
        ["a@example.org subscribed twice"],
    ),
    ("CPU above 100%", {"alarms": {"db_cpu_percent": 120}}, ["operations.alarms.db_cpu_percent", "120"]),
    ("no 5xx budget at all", {"alarms": {"alb_5xx_percent": 0}}, ["operations.alarms.alb_5xx_percent"]),
    ("budget at 0%", {"budget_alerts": {"actual_percent": [0, 100]}}, ["0% is not a budget threshold", "1 to 1000"]),
    ("budget unordered", {"budget_alerts": {"forecast_percent": [100, 80]}}, ["rising percentages"]),
    (
        "too many budget alerts",
        {"budget_alerts": {"forecast_percent": [50, 80, 100], "actual_percent": [50, 80, 100]}},
        ["6 budget notifications", "at most 5"],
    ),
]


@pytest.mark.req("DC-11")
@pytest.mark.parametrize("case,operations,words", BAD_OPERATIONS, ids=[c[0] for c in BAD_OPERATIONS])
def test_bad_operations_settings_are_one_line_naming_the_field_and_what_is_allowed(tmp_path, case, operations, words):
    with pytest.raises(ConfigError) as raised:
        load("dev", _dev_with(tmp_path, **operations))
    message = str(raised.value)
    assert "\n" not in message and message.startswith(str(tmp_path / "dev.yaml"))
    for word in words:
        assert word in message, f"{word!r} missing from: {message}"


@pytest.mark.req("OPS-3")
def test_prod_thresholds_are_stricter_than_devs_in_every_field():
    dev, prod = load("dev").operations.alarms, load("prod").operations.alarms
    assert prod.looser_than(dev) == []
    # free storage fires below its threshold: stricter is higher
    assert prod.db_free_local_storage_mib > dev.db_free_local_storage_mib and prod.db_cpu_percent < dev.db_cpu_percent


@pytest.mark.req("OPS-3")
def test_the_strictness_check_names_each_looser_field():
    dev = load("dev").operations.alarms
    prod = load("prod").operations.alarms.model_copy(update={"db_cpu_percent": 95, "db_free_local_storage_mib": 1024})
    assert prod.looser_than(dev) == ["db_cpu_percent", "db_free_local_storage_mib"]
    assert dev.looser_than(dev) == list(type(dev).model_fields)  # equal is not stricter


@pytest.mark.req("OPS-4")
def test_every_environment_alerts_on_forecast_and_actual_cost():
    for env in ("dev", "staging", "prod"):
        alerts = load(env).operations.budget_alerts
        assert alerts.forecast_percent and alerts.actual_percent
        assert alerts.actual_percent[-1] == 100  # the limit itself is always announced

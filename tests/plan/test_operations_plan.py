"""OPS-2, OPS-3, OPS-4, DC-10 under Terraform: every environment plans its dashboards, alarms, subscribers and
budget alerts, and the applied regional stacks output a dashboard URL in their own region."""

from __future__ import annotations

import json

import pytest

from config import load

ENVS = ["dev", "staging", "prod"]


@pytest.mark.req("OPS-4")
@pytest.mark.parametrize("env", ENVS)
def test_budget_plans_this_environments_forecast_and_actual_alerts_to_the_applied_topic(planned, env):
    alerts = load(env).operations.budget_alerts
    budget = planned[env]["global"].plan.only_created("aws_budgets_budget").after
    assert sorted((n["notification_type"], n["threshold"]) for n in budget["notification"]) == sorted(
        [("FORECASTED", p) for p in alerts.forecast_percent] + [("ACTUAL", p) for p in alerts.actual_percent]
    )
    topic_arn = planned[env]["primary"].outputs["alert_topic_arn"]
    assert {arn for n in budget["notification"] for arn in n["subscriber_sns_topic_arns"]} == {topic_arn}


@pytest.mark.req("OPS-2")
@pytest.mark.req("OPS-3")
@pytest.mark.req("DC-10")
@pytest.mark.parametrize("env", ENVS)
def test_each_region_plans_its_dashboard_alarms_and_subscribers(planned, env):
    config = load(env)
    for role, region in (("primary", config.regions.primary.name), ("secondary", config.regions.secondary.name)):
        stack = planned[env][role]
        plan = stack.plan
        dashboard = plan.only_created("aws_cloudwatch_dashboard").after
        assert dashboard["dashboard_name"] == f"meridian-operations-{region}-{env}"
        body = json.loads(dashboard["dashboard_body"])
        assert {w["properties"]["region"] for w in body["widgets"] if w["type"] == "metric"} == {region}
        alarms = [change.after for change in plan.created("aws_cloudwatch_metric_alarm")]
        # stores (6), the secondary's global lag (1), two alarms per Lambda function (rotation in the primary only)
        assert len(alarms) == (6 + 1 + 2 * 2 if role == "secondary" else 6 + 2 * 3)
        assert len(plan.created("aws_sns_topic_subscription")) == len(config.operations.alert_subscriptions)
        url = stack.outputs["dashboard_url"]
        assert url == (
            f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
            f"#dashboards/dashboard/meridian-operations-{region}-{env}"
        )

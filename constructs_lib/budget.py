"""A monthly cost budget with forecast and actual alerts to the operators' topic (OPS-4)."""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.budgets_budget import BudgetsBudget, BudgetsBudgetNotification
from constructs import Construct

from constructs_lib.alerts import AlertTopic


@dataclass(frozen=True)
class MonthlyBudgetProps:
    name: str
    limit_usd: int
    alert_topic: AlertTopic
    forecast_threshold_percent: int = 90  # warn while there is still time to act
    actual_threshold_percent: int = 100


class MonthlyBudget(Construct):
    def __init__(self, scope: Construct, id_: str, props: MonthlyBudgetProps) -> None:
        super().__init__(scope, id_)
        props.alert_topic.allow_publish_from_service("budgets.amazonaws.com")
        self._budget = BudgetsBudget(
            self,
            "budget",
            name=props.name,
            budget_type="COST",
            limit_amount=str(props.limit_usd),
            limit_unit="USD",
            time_unit="MONTHLY",
            notification=[
                _alert("FORECASTED", props.forecast_threshold_percent, props.alert_topic),
                _alert("ACTUAL", props.actual_threshold_percent, props.alert_topic),
            ],
        )

    @property
    def name(self) -> str:
        return self._budget.name


def _alert(kind: str, percent: int, topic: AlertTopic):
    return BudgetsBudgetNotification(
        notification_type=kind,
        comparison_operator="GREATER_THAN",
        threshold=percent,
        threshold_type="PERCENTAGE",
        subscriber_sns_topic_arns=[topic.arn],
    )

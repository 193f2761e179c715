"""A monthly cost budget with forecast and actual alerts to the operators' topic (OPS-4).

One notification per configured percentage of the limit: FORECASTED fires when AWS forecasts the
month to end above it, ACTUAL when the cost so far passes it. The topic's policy admits Budgets as a
publisher (`allow_publish_from_service`); the SNS key's policy already does (constructs_lib/kms.py).
"""

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
    forecast_percents: tuple[int, ...] = (90,)  # warn while there is still time to act
    actual_percents: tuple[int, ...] = (100,)

    def __post_init__(self) -> None:
        if not self.forecast_percents or not self.actual_percents:
            raise ValueError(f"budget {self.name}: forecast and actual alerts need one percentage or more each")


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
                *(_alert("FORECASTED", percent, props.alert_topic) for percent in props.forecast_percents),
                *(_alert("ACTUAL", percent, props.alert_topic) for percent in props.actual_percents),
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

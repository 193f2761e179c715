"""Account-wide and edge resources of one environment; reads the regional stacks' outputs."""

from __future__ import annotations

from constructs import Construct

from config import EnvironmentConfig
from constructs_lib.budget import MonthlyBudget, MonthlyBudgetProps
from stacks.base import MeridianStack
from stacks.edge import add_cdn
from stacks.governance import add_peer_roles
from stacks.regional import RegionalStack


class GlobalStack(MeridianStack):
    def __init__(
        self, scope: Construct, config: EnvironmentConfig, *, primary: RegionalStack, secondary: RegionalStack
    ) -> None:
        # Global services (Budgets, IAM, CloudFront, Route 53) are addressed through the primary region.
        super().__init__(scope, config, role="global", region=primary.region, remote=True)
        budget = MonthlyBudget(
            self,
            "budget",
            MonthlyBudgetProps(
                name=self.naming.name("monthly-cost"),
                limit_usd=config.capacity.monthly_budget_usd,
                alert_topic=primary.alerts,  # a cross-stack reference: cdktf wires it through outputs
                forecast_percents=config.operations.budget_alerts.forecast_percent,
                actual_percents=config.operations.budget_alerts.actual_percent,
            ),
        )
        self.output("budget_name", budget.name, "AWS Budgets budget alerting on forecast and actual monthly cost")
        self.peer_roles = add_peer_roles(self)
        self.cdn = add_cdn(self, [primary, secondary])  # CloudFront, the active region's origin first (EDGE-3)

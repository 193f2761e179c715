"""The region's API Gateway account settings: the role API Gateway writes CloudWatch logs with (EDGE-1, OPS-1).

How to use (once per regional stack: the setting is per account and region, shared by every API):

    account = ApiGatewayAccount(self, "api-gateway-account", ApiGatewayAccountProps(naming, region))
    PaymentApi(..., account=account)   # stages and method settings wait for it

Execution logging and access logging of every stage in the region write through this role; without
it API Gateway refuses to turn logging on. The role carries the AWS managed policy
`AmazonAPIGatewayPushToCloudWatchLogs` through an attachment (never `managed_policy_arns`).
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.api_gateway_account import ApiGatewayAccount as ApiGatewayAccountSettings
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from constructs_lib.naming import Naming
from constructs_lib.service_role import ServiceRole, ServiceRoleProps

PUSH_TO_CLOUDWATCH_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"


@dataclass(frozen=True)
class ApiGatewayAccountProps:
    naming: Naming
    region: str


class ApiGatewayAccount(Construct):
    def __init__(self, scope: Construct, id_: str, props: ApiGatewayAccountProps) -> None:
        super().__init__(scope, id_)
        self.role = ServiceRole(
            self,
            "role",
            ServiceRoleProps(
                name=props.naming.name("api-gateway-logs", props.region),
                description=f"API Gateway writes execution and access logs in {props.region}",
                service="apigateway.amazonaws.com",
                # API Gateway's account-level logging role takes no source condition (AWS documents none)
                source_account=None,
            ),
        )
        attachment = IamRolePolicyAttachment(
            self, "push-to-cloudwatch", role=self.role.name, policy_arn=PUSH_TO_CLOUDWATCH_POLICY
        )
        # API Gateway checks the role's permissions when the setting is made: attach first
        self.settings = ApiGatewayAccountSettings(
            self, "settings", cloudwatch_role_arn=self.role.arn, depends_on=[attachment]
        )

"""The operators' alert topic: CMK-encrypted SNS that CloudWatch alarms and Budgets publish to (OPS-3, OPS-4).

    topic.subscribe("email", "oncall@example.org")            # people hear it (config: operations)
    topic.allow_publish_from_service("budgets.amazonaws.com")  # the topic policy admits the service
    topic.grant_publish(role)                                  # a role of this account publishes

An e-mail or https subscriber confirms once, from the message SNS sends, before it receives alerts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_policy import SnsTopicPolicy
from cdktf_cdktf_provider_aws.sns_topic_subscription import SnsTopicSubscription
from constructs import Construct

from constructs_lib.kms import CustomerKey
from constructs_lib.policy import Statement, lazy_document, statement_id
from constructs_lib.service_role import ServiceRole


@dataclass(frozen=True)
class AlertTopicProps:
    name: str
    key: CustomerKey  # the region's SNS key; its policy already admits the publishing services
    account_id: str


class AlertTopic(Construct):
    def __init__(self, scope: Construct, id_: str, props: AlertTopicProps) -> None:
        super().__init__(scope, id_)
        self._props = props
        self._publishers: list[str] = ["cloudwatch.amazonaws.com"]  # alarms are what the topic is for
        self._topic = SnsTopic(self, "topic", name=props.name, kms_master_key_id=props.key.arn)
        self._arn: str = self._topic.arn  # read once: each read is a round trip to the jsii runtime
        SnsTopicPolicy(self, "policy", arn=self._arn, policy=lazy_document(self.policy_statements))

    @property
    def arn(self) -> str:
        return self._arn

    def subscribe(self, protocol: str, endpoint: str) -> None:
        """Send every alert to one subscriber (email, https or sms; validated by config)."""
        SnsTopicSubscription(
            self,
            f"subscriber-{protocol}-{re.sub(r'[^a-z0-9]+', '-', endpoint.lower()).strip('-')}",
            topic_arn=self.arn,
            protocol=protocol,
            endpoint=endpoint,
        )

    def allow_publish_from_service(self, service_principal: str) -> None:
        """Let an AWS service (cloudwatch.amazonaws.com, budgets.amazonaws.com) publish for this account."""
        if service_principal not in self._publishers:
            self._publishers.append(service_principal)

    def grant_publish(self, role: ServiceRole) -> None:
        """Let a role of this account publish here (IAM side; the topic's key encrypts through SNS)."""
        suffix = statement_id(self.node.id)
        role.add_to_policy(Statement(sid=f"Publish{suffix}", actions=["sns:Publish"], resources=[self.arn]))
        self._props.key.grant_use(role, ["kms:GenerateDataKey*", "kms:Decrypt"], "sns", f"Publish{suffix}Key")

    def policy_statements(self) -> list[Statement]:
        # Principals of this account get topic access through their IAM policies (least privilege,
        # SEC-5); the resource policy only admits the AWS services wired to publish here.
        return [
            Statement(
                sid="ServicesPublishForThisAccount",
                principals={"Service": list(self._publishers)},
                actions=["sns:Publish"],
                resources=[self.arn],
                conditions={"StringEquals": {"aws:SourceAccount": self._props.account_id}},
            )
        ]

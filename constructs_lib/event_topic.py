"""An SNS topic of business events encrypted with the region's SNS CMK (LAM-2, SEC-2, SEC-5).

How to use:

    topic = EventTopic(self, "payments-topic", EventTopicProps(naming.name("payment-events"), keys.for_("sns"), region))
    topic.grant_publish(notifier.role)   # IAM: sns:Publish here and the key through SNS; key policy: that role
    topic.arn

Publishers are roles of this account, granted one by one: each gets sns:Publish on this topic and
the key's data-key actions through SNS in its IAM policy, and the key's own policy names the role
as well, so the publish works whatever the account's default key-policy delegation is. The topic's
policy refuses every request that is not TLS.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.sns_topic import SnsTopic
from cdktf_cdktf_provider_aws.sns_topic_policy import SnsTopicPolicy
from constructs import Construct

from constructs_lib.kms import CustomerKey
from constructs_lib.policy import Statement, document, statement_id
from constructs_lib.service_role import ServiceRole

# What SNS asks KMS for when a publisher sends to an encrypted topic.
PUBLISH_KEY_ACTIONS = ["kms:GenerateDataKey*", "kms:Decrypt"]


@dataclass(frozen=True)
class EventTopicProps:
    name: str
    key: CustomerKey  # the region's "sns" key
    region: str  # kms:ViaService in grants

    def __post_init__(self) -> None:
        if self.key.purpose != "sns":
            raise ValueError(f"topic {self.name}: encrypted with the 'sns' key, not the {self.key.purpose!r} key")


class EventTopic(Construct):
    def __init__(self, scope: Construct, id_: str, props: EventTopicProps) -> None:
        super().__init__(scope, id_)
        self._props = props
        self._topic = SnsTopic(self, "topic", name=props.name, kms_master_key_id=props.key.arn)
        SnsTopicPolicy(
            self,
            "policy",
            arn=self._topic.arn,
            policy=document(
                [
                    Statement(
                        sid="DenyInsecureTransport",
                        effect="Deny",
                        principals={"AWS": ["*"]},
                        actions=["sns:Publish", "sns:Subscribe"],
                        resources=[self._topic.arn],
                        conditions={"Bool": {"aws:SecureTransport": "false"}},
                    )
                ]
            ),
        )

    @property
    def arn(self) -> str:
        return self._topic.arn

    @property
    def name(self) -> str:
        return self._topic.name

    def grant_publish(self, role: ServiceRole) -> None:
        """Let a role publish here: its IAM policy and the key's policy both allow it (SEC-5)."""
        suffix = statement_id(self.node.id)
        role.add_to_policy(Statement(sid=f"Publish{suffix}", actions=["sns:Publish"], resources=[self.arn]))
        self._props.key.grant_use(role, PUBLISH_KEY_ACTIONS, "sns", f"Publish{suffix}Key")
        # the role's owner (the function) names the key-policy statement: one per publisher
        owner = role.node.scope.node.id if role.node.scope else role.node.id
        self._props.key.trust_role(role, PUBLISH_KEY_ACTIONS, "sns", f"{statement_id(owner)}Publishes{suffix}")

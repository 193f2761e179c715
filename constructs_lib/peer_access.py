"""Roles the other environments' accounts may assume here, to read and never to change (SEC-6).

How to use:

    role = PeerReadRole(self, "peer-staging", PeerReadRoleProps(
        name=naming.name("peer", "staging", "state-reader"),
        peer_environment="staging", peer_account=peer.account, external_id=peer.external_id,
        own_account=account_id,
        reads=terraform_state_reads(state_bucket, "meridian/dev/", region, account_id),
    ))
    role.arn       # what the peer's principals pass to sts:AssumeRole, with the ExternalId

The trust policy admits only roles of the configured peer account (its administrators decide which
of them may call sts:AssumeRole; never its root user or IAM users), and only when the caller presents
the peer's ExternalId. The principal is the peer account, narrowed by `aws:PrincipalArn`, rather than
a peer role's ARN: IAM would refuse a role that does not exist yet and silently break the trust when
that role is recreated. The own account is refused, since a role trusting its own account would be no
cross-account boundary.
Every permission must be a read (Get*, List*, Describe*, kms:Decrypt) that names its resources; a
write, or a statement without resources, is refused when the construct is built.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from constructs_lib.policy import Statement, document, trust_document

_READ_ACTION = re.compile(r"^[a-z0-9-]+:(Get|List|Describe)[A-Za-z]*$")
_READ_ONLY_EXTRAS = frozenset({"kms:Decrypt"})  # reading SSE-KMS objects needs it; it writes nothing


def is_read_action(action: str) -> bool:
    return action in _READ_ONLY_EXTRAS or bool(_READ_ACTION.match(action))


@dataclass(frozen=True)
class PeerReadRoleProps:
    name: str  # physical role name, with the environment suffix
    peer_environment: str  # the environment whose account is trusted
    peer_account: str
    external_id: str  # sts:ExternalId the peer presents: an identifier from config, not a secret
    own_account: str  # refused as a peer
    reads: Sequence[Statement]  # what the peer may read, each naming its resources
    max_session_seconds: int = 3600  # one hour, then the peer assumes the role again

    def __post_init__(self) -> None:
        if self.peer_account == self.own_account:
            raise ValueError(
                f"role {self.name}: peer {self.peer_environment} is this account {self.own_account}; "
                "allowed: another environment's account"
            )
        if not self.reads:
            raise ValueError(f"role {self.name}: no reads; allowed: one or more read statements")
        for statement in self.reads:
            if not statement.resources or "*" in statement.resources:
                raise ValueError(f"role {self.name}: statement {statement.sid} must name its resources")
            writes = [action for action in statement.actions if not is_read_action(action)]
            if writes:
                raise ValueError(
                    f"role {self.name}: statement {statement.sid} grants {', '.join(writes)}; "
                    "allowed: Get*, List*, Describe* and kms:Decrypt"
                )


class PeerReadRole(Construct):
    def __init__(self, scope: Construct, id_: str, props: PeerReadRoleProps) -> None:
        super().__init__(scope, id_)
        self.peer_environment = props.peer_environment
        self._role = IamRole(
            self,
            "role",
            name=props.name,
            description=f"{props.peer_environment} (account {props.peer_account}) reads, with its ExternalId",
            max_session_duration=props.max_session_seconds,
            assume_role_policy=trust_document(
                [
                    Statement(
                        sid="PeerAssumesWithExternalId",
                        principals={"AWS": [f"arn:aws:iam::{props.peer_account}:root"]},
                        actions=["sts:AssumeRole"],
                        conditions={
                            "StringEquals": {"sts:ExternalId": props.external_id},
                            # roles only: never the peer's root user or an IAM user's long-lived keys
                            "ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{props.peer_account}:role/*"},
                        },
                    )
                ]
            ),
        )
        IamRolePolicy(self, "reads", name=props.name, role=self._role.id, policy=document(list(props.reads)))

    @property
    def arn(self) -> str:
        return self._role.arn

    @property
    def name(self) -> str:
        return self._role.name


def terraform_state_reads(bucket: str, state_prefix: str, region: str, account: str) -> list[Statement]:
    """Read this environment's Terraform state (its stacks' outputs), as `terraform_remote_state` does.

    The objects under the environment's prefix, the listing of that prefix, and decryption by S3
    of objects in that bucket only (the SSE-KMS encryption context names the bucket).
    """
    bucket_arn = f"arn:aws:s3:::{bucket}"
    return [
        Statement(sid="ReadStateObjects", actions=["s3:GetObject"], resources=[f"{bucket_arn}/{state_prefix}*"]),
        Statement(
            sid="ListStatePrefix",
            actions=["s3:ListBucket"],
            resources=[bucket_arn],
            conditions={"StringLike": {"s3:prefix": [f"{state_prefix}*"]}},
        ),
        Statement(
            sid="DecryptStateThroughS3",
            actions=["kms:Decrypt"],
            resources=[f"arn:aws:kms:{region}:{account}:key/*"],
            conditions={
                "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
                "StringLike": {"kms:EncryptionContext:aws:s3:arn": [bucket_arn, f"{bucket_arn}/{state_prefix}*"]},
            },
        ),
    ]

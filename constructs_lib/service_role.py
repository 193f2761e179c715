"""An IAM role that one AWS service assumes for this account, with a policy that grows by wiring (SEC-5).

How to use:

    role = ServiceRole(self, "role", ServiceRoleProps(
        name=naming.name("flow-logs"),
        description="VPC flow logs deliver to their log group",
        service="vpc-flow-logs.amazonaws.com",
        source_account=account_id,                                   # confused-deputy guard
        source_arn=f"arn:aws:ec2:{region}:{account_id}:vpc-flow-log/*",
    ))
    log_group.grant_write(role)         # constructs grant what they own ...
    role.add_to_policy(Statement(...))  # ... or a caller adds a statement
    role.arn, role.name                 # for the service's configuration

The trust policy admits only the named service principal, and, where the service passes them,
only for this account (`aws:SourceAccount`) and the given source ARNs (`aws:SourceArn`). The
permissions are one inline policy (`aws_iam_role_policy`, never the deprecated `inline_policy`
argument), rendered at synth from every statement added, and created only once there is one.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct

from constructs_lib.policy import Statement, lazy_document, trust_document


@dataclass(frozen=True)
class ServiceRoleProps:
    name: str  # physical role name, with the environment suffix
    description: str  # what the service does with the role
    service: str  # the principal, e.g. vpc-flow-logs.amazonaws.com
    source_account: str | None  # aws:SourceAccount; None only for services that do not send it (EC2)
    source_arn: str | None = None  # aws:SourceArn pattern (ArnLike); None: any resource of the account


class ServiceRole(Construct):
    def __init__(self, scope: Construct, id_: str, props: ServiceRoleProps) -> None:
        super().__init__(scope, id_)
        self._props = props
        self._statements: list[Statement] = []
        self._policy: IamRolePolicy | None = None
        self._role = IamRole(
            self,
            "role",
            name=props.name,
            description=props.description,
            assume_role_policy=trust_document([_trust(props)]),
        )
        self._arn: str = self._role.arn  # read once: each read is a round trip to the jsii runtime
        self._name: str = self._role.name

    @property
    def arn(self) -> str:
        return self._arn

    @property
    def name(self) -> str:
        return self._name

    @property
    def policy(self) -> IamRolePolicy | None:
        """The role's permissions, once there are any: for `depends_on` of a service that checks them
        when it is created (a VPC Lambda function needs its network-interface permissions)."""
        return self._policy

    def add_to_policy(self, statement: Statement) -> None:
        """Add a permission; every data action must name its resources (SEC-5)."""
        if not statement.resources:
            raise ValueError(f"role {self._props.name}: statement {statement.sid} names no resources")
        self._statements.append(statement)
        if self._policy is None:
            self._policy = IamRolePolicy(
                self, "policy", name=self._props.name, role=self._role.id, policy=lazy_document(self._policy_statements)
            )

    def _policy_statements(self) -> list[Statement]:
        return list(self._statements)


def _trust(props: ServiceRoleProps) -> Statement:
    conditions: dict[str, dict[str, object]] = {}
    if props.source_account:
        conditions["StringEquals"] = {"aws:SourceAccount": props.source_account}
    if props.source_arn:
        conditions["ArnLike"] = {"aws:SourceArn": props.source_arn}
    return Statement(
        sid="ServiceAssumesForThisAccount",
        principals={"Service": [props.service]},
        actions=["sts:AssumeRole"],
        conditions=conditions,
    )

"""AWS Backup for one region: vault, plan, role and the selection that grows by wiring (DATA-10).

The vault is encrypted with the region's backup CMK. The plan takes a daily recovery point kept
`daily_retention_days` and a weekly one moved to cold storage and deleted per its lifecycle; every
point is copied, with the same lifecycle, to the other region's vault and, when a backup account
is configured, to that account's vault. The role is assumed by AWS Backup for this account only,
carries AWS's managed backup and restore policies, and may use the backup key.

How to use:

    backup = RegionalBackup(self, "backup", RegionalBackupProps(...))
    backup.protect(cluster.arn)     # the one selection of the plan lists every protected resource
    backup.vault_arn, backup.plan_id, backup.role.arn
"""

from __future__ import annotations

from dataclasses import dataclass

import jsii
from cdktf import IListProducer, Lazy
from cdktf_cdktf_provider_aws.backup_plan import (
    BackupPlan,
    BackupPlanRule,
    BackupPlanRuleCopyAction,
    BackupPlanRuleCopyActionLifecycle,
    BackupPlanRuleLifecycle,
)
from cdktf_cdktf_provider_aws.backup_selection import BackupSelection
from cdktf_cdktf_provider_aws.backup_vault import BackupVault
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from constructs import Construct

from constructs_lib.kms import CustomerKey
from constructs_lib.policy import Statement
from constructs_lib.service_role import ServiceRole, ServiceRoleProps

# AWS's own policies for the service role: what AWS Backup needs per resource type to back up and restore.
MANAGED_POLICIES = {
    "backup": "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
    "restores": "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores",
}
# AWS Backup keeps a point in cold storage at least this long.
MIN_DAYS_IN_COLD_STORAGE = 90


@dataclass(frozen=True)
class Lifecycle:
    """When a recovery point moves to cold storage (None: never) and when it is deleted."""

    delete_after_days: int
    cold_storage_after_days: int | None = None

    def __post_init__(self) -> None:
        cold = self.cold_storage_after_days
        if cold is not None and self.delete_after_days < cold + MIN_DAYS_IN_COLD_STORAGE:
            raise ValueError(
                f"delete_after_days {self.delete_after_days} is less than {MIN_DAYS_IN_COLD_STORAGE} days after "
                f"cold_storage_after_days {cold}; allowed: at least {cold + MIN_DAYS_IN_COLD_STORAGE}"
            )


def vault_arn(*, region: str, account_id: str, name: str) -> str:
    """A vault's ARN is fixed by where it is and its name, so another stack can copy into it before
    reading anything: the secondary region's vault is created by the stack deployed after this one."""
    return f"arn:aws:backup:{region}:{account_id}:backup-vault:{name}"


@dataclass(frozen=True)
class RegionalBackupProps:
    vault_name: str
    plan_name: str
    role_name: str
    key: CustomerKey  # the region's backup CMK
    account_id: str
    daily: Lifecycle  # kept N days, never cold
    weekly: Lifecycle
    copy_to_vault_arns: tuple[str, ...]  # the other region's vault; the backup account's when configured
    daily_schedule: str = "cron(0 5 ? * * *)"  # 05:00 UTC, after the nightly batch
    weekly_schedule: str = "cron(0 5 ? * SUN *)"
    start_window_minutes: int = 60
    completion_window_minutes: int = 360

    def __post_init__(self) -> None:
        if self.key.purpose != "backup":
            raise ValueError(
                f"vault {self.vault_name}: encrypted with the 'backup' key, not the {self.key.purpose!r} key"
            )
        if not self.copy_to_vault_arns:
            raise ValueError(
                f"plan {self.plan_name}: copy_to_vault_arns is empty; every point is copied out of the region"
            )


class RegionalBackup(Construct):
    def __init__(self, scope: Construct, id_: str, props: RegionalBackupProps) -> None:
        super().__init__(scope, id_)
        self._props = props
        self._protected: list[str] = []
        self._selection: BackupSelection | None = None
        self._vault = BackupVault(self, "vault", name=props.vault_name, kms_key_arn=props.key.arn)
        self.role = ServiceRole(
            self,
            "role",
            ServiceRoleProps(
                name=props.role_name,
                description=f"AWS Backup backs up, copies and restores into {props.vault_name}",
                service="backup.amazonaws.com",
                source_account=props.account_id,
            ),
        )
        for purpose, arn in MANAGED_POLICIES.items():
            IamRolePolicyAttachment(self, f"managed-{purpose}", role=self.role.name, policy_arn=arn)
        self.role.add_to_policy(
            Statement(
                sid="UseTheBackupKey",
                actions=["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                resources=[props.key.arn],
            )
        )
        self.role.add_to_policy(
            Statement(
                sid="GrantTheBackupKeyToAwsResources",
                actions=["kms:CreateGrant"],
                resources=[props.key.arn],
                conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}},
            )
        )
        self._plan = BackupPlan(
            self,
            "plan",
            name=props.plan_name,
            rule=[
                self._rule("daily", props.daily_schedule, props.daily),
                self._rule("weekly", props.weekly_schedule, props.weekly),
            ],
        )

    @property
    def vault_arn(self) -> str:
        return self._vault.arn

    @property
    def vault_name(self) -> str:
        return self._vault.name

    @property
    def plan_id(self) -> str:
        return self._plan.id

    def protect(self, resource_arn: str) -> None:
        """Add a resource (Aurora cluster, EFS file system) to the plan's one selection."""
        self._protected.append(resource_arn)
        if self._selection is None:
            self._selection = BackupSelection(
                self,
                "selection",
                name=self._props.plan_name,
                plan_id=self._plan.id,
                iam_role_arn=self.role.arn,
                resources=Lazy.list_value(_Listed(self._protected)),
            )

    def _rule(self, name: str, schedule: str, lifecycle: Lifecycle) -> BackupPlanRule:
        return BackupPlanRule(
            rule_name=name,
            target_vault_name=self._vault.name,
            schedule=schedule,
            start_window=self._props.start_window_minutes,
            completion_window=self._props.completion_window_minutes,
            lifecycle=BackupPlanRuleLifecycle(
                delete_after=lifecycle.delete_after_days,
                cold_storage_after=lifecycle.cold_storage_after_days,
            ),
            copy_action=[
                BackupPlanRuleCopyAction(
                    destination_vault_arn=destination,
                    lifecycle=BackupPlanRuleCopyActionLifecycle(
                        delete_after=lifecycle.delete_after_days,
                        cold_storage_after=lifecycle.cold_storage_after_days,
                    ),
                )
                for destination in self._props.copy_to_vault_arns
            ],
        )


@jsii.implements(IListProducer)
class _Listed:
    """The selection's resources, rendered at synth: every `protect` call made while wiring."""

    def __init__(self, values: list[str]) -> None:
        self._values = values

    def produce(self, context) -> list[str]:
        return list(self._values)

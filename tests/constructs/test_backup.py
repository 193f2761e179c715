"""QA-1 / DATA-10: AWS Backup's vault, plan, copies, role and selection."""

from __future__ import annotations

import pytest

from constructs_lib.backup import Lifecycle, RegionalBackup, RegionalBackupProps, vault_arn
from constructs_lib.kms import CustomerKey, CustomerKeyProps
from tests.support.constructs import TEST_ACCOUNT, TEST_NAMING, TEST_REGION, policy, statement, synth_construct

OTHER_REGION_VAULT = vault_arn(region="eu-central-1", account_id=TEST_ACCOUNT, name="meridian-backup-test")
CENTRAL_VAULT = vault_arn(region=TEST_REGION, account_id="999999999999", name="central")


def _backup(stack, protect=()):
    key = CustomerKey(stack, "backup-key", CustomerKeyProps("backup", TEST_NAMING, TEST_ACCOUNT, TEST_REGION))
    backup = RegionalBackup(
        stack,
        "backup",
        RegionalBackupProps(
            vault_name="meridian-backup-test",
            plan_name="meridian-backup-plan-test",
            role_name="meridian-backup-role-test",
            key=key,
            account_id=TEST_ACCOUNT,
            daily=Lifecycle(delete_after_days=35),
            weekly=Lifecycle(delete_after_days=365, cold_storage_after_days=30),
            copy_to_vault_arns=(OTHER_REGION_VAULT, CENTRAL_VAULT),
        ),
    )
    for arn in protect:
        backup.protect(arn)


@pytest.fixture(scope="module")
def protected():
    return synth_construct(
        lambda stack: _backup(stack, protect=("arn:aws:rds:eu-west-1:1:cluster:db", "arn:aws:efs:x"))
    )


@pytest.mark.req("DATA-10")
def test_vault_is_encrypted_with_the_backup_key(protected):
    vault = protected.only("aws_backup_vault")

    assert vault["name"] == "meridian-backup-test"
    assert vault["kms_key_arn"].startswith("${aws_kms_key.backup-key_")


@pytest.mark.req("DATA-10")
def test_daily_points_keep_35_days_and_weekly_go_cold_then_are_deleted(protected):
    rules = {rule["rule_name"]: rule for rule in protected.only("aws_backup_plan")["rule"]}

    assert rules["daily"]["lifecycle"] == {"delete_after": 35}
    assert rules["weekly"]["lifecycle"] == {"cold_storage_after": 30, "delete_after": 365}
    assert rules["daily"]["schedule"] == "cron(0 5 ? * * *)" and "SUN" in rules["weekly"]["schedule"]
    assert all(rule["target_vault_name"].startswith("${aws_backup_vault.backup_vault_") for rule in rules.values())


@pytest.mark.req("DATA-10")
def test_every_point_is_copied_to_each_listed_vault_with_the_same_lifecycle(protected):
    for rule in protected.only("aws_backup_plan")["rule"]:
        copies = {copy["destination_vault_arn"]: copy["lifecycle"] for copy in rule["copy_action"]}
        assert copies == {OTHER_REGION_VAULT: rule["lifecycle"], CENTRAL_VAULT: rule["lifecycle"]}


@pytest.mark.req("DATA-10")
def test_the_backup_role_is_for_aws_backup_of_this_account_and_may_use_the_backup_key(protected):
    role = protected.only("aws_iam_role")
    trust = statement(policy(role["assume_role_policy"]), "ServiceAssumesForThisAccount")
    managed = {
        a["policy_arn"].rsplit("/", 1)[1] for a in protected.resources("aws_iam_role_policy_attachment").values()
    }
    document = policy(protected.only("aws_iam_role_policy")["policy"])

    assert trust["Principal"] == {"Service": "backup.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": TEST_ACCOUNT}}
    assert managed == {"AWSBackupServiceRolePolicyForBackup", "AWSBackupServiceRolePolicyForRestores"}
    use = statement(document, "UseTheBackupKey")
    assert use["Resource"].startswith("${aws_kms_key.backup-key_") and "kms:Decrypt" in use["Action"]
    grant = statement(document, "GrantTheBackupKeyToAwsResources")
    assert grant["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}


@pytest.mark.req("DATA-10")
def test_protect_lists_every_resource_in_one_selection_run_by_the_backup_role(protected):
    selection = protected.only("aws_backup_selection")

    assert selection["resources"] == ["arn:aws:rds:eu-west-1:1:cluster:db", "arn:aws:efs:x"]
    assert selection["iam_role_arn"].startswith("${aws_iam_role.backup_role_")
    assert selection["plan_id"].startswith("${aws_backup_plan.backup_plan_")


@pytest.mark.req("QA-1")
def test_nothing_protected_means_no_selection():
    assert synth_construct(lambda stack: _backup(stack)).resources("aws_backup_selection") == {}


@pytest.mark.req("DATA-10")
def test_a_cold_point_must_stay_cold_ninety_days():
    with pytest.raises(ValueError, match="less than 90 days after cold_storage_after_days 30; allowed: at least 120"):
        Lifecycle(delete_after_days=90, cold_storage_after_days=30)

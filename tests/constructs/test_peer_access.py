"""QA-1, SEC-6: a peer environment's account may assume a role here, with its ExternalId, to read only."""

import pytest

from constructs_lib.peer_access import PeerReadRole, PeerReadRoleProps, is_read_action, terraform_state_reads
from constructs_lib.policy import Statement, trust_document
from tests.support.constructs import TEST_ACCOUNT, TEST_REGION, policy, statement, synth_construct

PEER = "310987654321"
READS = terraform_state_reads("state-test", "meridian/test/", TEST_REGION, TEST_ACCOUNT)


def _props(**changes):
    settings = {
        "name": "meridian-peer-staging-state-reader-test",
        "peer_environment": "staging",
        "peer_account": PEER,
        "external_id": "meridian-staging-to-test",
        "own_account": TEST_ACCOUNT,
        "reads": READS,
    }
    return PeerReadRoleProps(**{**settings, **changes})


@pytest.fixture(scope="module")
def synth():
    return synth_construct(lambda stack: PeerReadRole(stack, "peer-staging", _props()))


@pytest.mark.req("SEC-6")
@pytest.mark.req("QA-1")
def test_only_the_peer_accounts_roles_presenting_the_external_id_may_assume(synth):
    role = synth.only("aws_iam_role")
    trust = policy(role["assume_role_policy"])
    assert len(trust["Statement"]) == 1
    assume = statement(trust, "PeerAssumesWithExternalId")
    assert assume["Principal"] == {"AWS": f"arn:aws:iam::{PEER}:root"} and assume["Action"] == "sts:AssumeRole"
    assert assume["Condition"] == {
        "StringEquals": {"sts:ExternalId": "meridian-staging-to-test"},
        "ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{PEER}:role/*"},
    }
    assert "Resource" not in assume  # IAM refuses a trust policy with a Resource element
    assert role["max_session_duration"] == 3600 and "managed_policy_arns" not in role


@pytest.mark.req("SEC-6")
@pytest.mark.req("QA-1")
def test_the_role_reads_this_environments_state_and_nothing_else(synth):
    document = policy(synth.only("aws_iam_role_policy")["policy"])
    actions = {action for s in document["Statement"] for action in [s["Action"]] if s["Effect"] == "Allow"}
    assert actions == {"s3:GetObject", "s3:ListBucket", "kms:Decrypt"}
    assert statement(document, "ReadStateObjects")["Resource"] == "arn:aws:s3:::state-test/meridian/test/*"
    listing = statement(document, "ListStatePrefix")
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["meridian/test/*"]}}
    decrypt = statement(document, "DecryptStateThroughS3")
    assert decrypt["Resource"] == f"arn:aws:kms:{TEST_REGION}:{TEST_ACCOUNT}:key/*"
    assert decrypt["Condition"]["StringEquals"] == {"kms:ViaService": f"s3.{TEST_REGION}.amazonaws.com"}
    assert decrypt["Condition"]["StringLike"]["kms:EncryptionContext:aws:s3:arn"][0] == "arn:aws:s3:::state-test"
    assert synth.only("aws_iam_role_policy")["role"].startswith("${aws_iam_role.peer-staging_role_")


@pytest.mark.req("SEC-6")
@pytest.mark.parametrize(
    "changes,words",
    [
        ({"peer_account": TEST_ACCOUNT}, f"is this account {TEST_ACCOUNT}; allowed: another environment's account"),
        (
            {"reads": [Statement(sid="Put", actions=["s3:PutObject"], resources=["arn:aws:s3:::b/*"])]},
            "statement Put grants s3:PutObject; allowed: Get\\*, List\\*, Describe\\* and kms:Decrypt",
        ),
        ({"reads": [Statement(sid="Any", actions=["s3:GetObject"])]}, "statement Any must name its resources"),
        ({"reads": [Statement(sid="All", actions=["s3:GetObject"], resources=["*"])]}, "All must name its resources"),
        ({"reads": []}, "no reads"),
    ],
    ids=["own account", "a write", "no resources", "resource star", "nothing to read"],
)
def test_own_account_writes_and_unnamed_resources_are_refused(changes, words):
    with pytest.raises(ValueError, match=words):
        _props(**changes)


@pytest.mark.req("SEC-6")
def test_read_actions_are_reads():
    assert all(map(is_read_action, ["s3:GetObject", "s3:ListBucket", "kms:Decrypt", "ec2:DescribeVpcs"]))
    assert not any(map(is_read_action, ["s3:PutObject", "kms:Encrypt", "iam:PassRole", "s3:GetObject*x", "*"]))


@pytest.mark.req("QA-1")
def test_trust_documents_carry_no_resource_and_refuse_one():
    rendered = policy(trust_document([Statement(sid="T", actions=["sts:AssumeRole"], principals={"AWS": ["x"]})]))
    assert "Resource" not in rendered["Statement"][0]
    with pytest.raises(ValueError, match="trust policy statement R names resources"):
        trust_document([Statement(sid="R", actions=["sts:AssumeRole"], resources=["*"])])

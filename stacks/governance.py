"""Who may sign in, who may read across accounts, what AWS Config records: blocks the stacks add.

Regional stacks add the user pools (EDGE-2) and the AWS Config recorder (SEC-7); the global stack
adds one read-only role per peer environment (SEC-6). Each block declares its outputs, the
contract its consumers read (DC-10).
"""

from __future__ import annotations

from constructs_lib.config_recorder import ConfigRecorder, ConfigRecorderProps
from constructs_lib.kms import KeyRing
from constructs_lib.peer_access import PeerReadRole, PeerReadRoleProps, terraform_state_reads
from constructs_lib.secure_bucket import SecureBucket
from constructs_lib.user_pool import UserPool, UserPoolProps
from stacks.base import MeridianStack, RemoteState

# What identifies a member of a population beyond `sub`, as the payment service reads it from the
# token (payment_service/config.py: custom:merchant_id for merchants).
IMMUTABLE_ATTRIBUTES = {"merchants": ("merchant_id",)}


def add_user_pools(stack: MeridianStack) -> dict[str, UserPool]:
    """One pool per population; the payment service checks tokens against iss, JWKS and client ID."""
    config = stack.config
    pools = {}
    for population in config.identity.populations:
        pool = UserPool(
            stack,
            f"users-{population}",
            UserPoolProps(
                naming=stack.naming,
                population=population,
                mfa=config.identity.mfa,
                password_min_length=config.identity.password_min_length,
                deletion_protection=config.deletion_protection,
                immutable_attributes=IMMUTABLE_ATTRIBUTES.get(population, ()),
            ),
        )
        who, key = f"the {population} user pool in {stack.region}", population.replace("-", "_")
        stack.output(f"{key}_user_pool_id", pool.id, f"ID of {who}")
        stack.output(f"{key}_user_pool_arn", pool.arn, f"ARN of {who}, for API Gateway Cognito authorizers")
        stack.output(f"{key}_issuer_url", pool.issuer_url, f"Token issuer (iss claim) of {who}")
        stack.output(f"{key}_jwks_url", pool.jwks_url, f"JWKS URL: the public keys that sign tokens of {who}")
        stack.output(f"{key}_client_id", pool.client_id, f"App client ID of {who}: the tokens' audience")
        pools[population] = pool
    return pools


def add_config_recorder(stack: MeridianStack, keys: KeyRing, access_logs: SecureBucket) -> ConfigRecorder:
    """AWS Config records the region; IAM and other global types only in the primary region."""
    recorder = ConfigRecorder(
        stack,
        "aws-config",
        ConfigRecorderProps(
            naming=stack.naming,
            account_id=stack.account_id,
            region=stack.region,
            key=keys.for_("s3"),
            include_global_resource_types=stack.role == "primary",
            required_tags=stack.config.default_tags(),
            history_days=stack.config.retention.log_days,
            access_log_bucket=access_logs,
        ),
    )
    where = f"in {stack.region}"
    stack.output("config_recorder_name", recorder.name, f"AWS Config recorder {where}")
    stack.output("config_bucket_name", recorder.bucket.name, f"Bucket AWS Config delivers snapshots to {where}")
    stack.output("config_rule_names", recorder.rule_names, f"AWS Config managed rules judging resources {where}")
    return recorder


def add_peer_roles(stack: MeridianStack) -> dict[str, PeerReadRole]:
    """One role per configured peer environment, reading this environment's Terraform state; none without peers."""
    state = RemoteState(stack.config)
    reads = terraform_state_reads(state.bucket, stack.naming.state_prefix(), state.region, stack.account_id)
    roles = {
        environment: PeerReadRole(
            stack,
            f"peer-{environment}",
            PeerReadRoleProps(
                name=stack.naming.name("peer", environment, "state-reader"),
                peer_environment=environment,
                peer_account=peer.account,
                external_id=peer.external_id,
                own_account=stack.account_id,
                reads=reads,
            ),
        )
        for environment, peer in stack.config.accounts.peers.items()
    }
    if roles:
        stack.output(
            "peer_role_arns",
            {environment: role.arn for environment, role in roles.items()},
            "Role each peer environment assumes (with its ExternalId) to read this environment's Terraform state",
        )
    return roles

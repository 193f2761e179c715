"""Bootstrap stack: the remote-state bucket and lock table, itself on local state (DC-2)."""

from __future__ import annotations

from constructs import Construct

from config import EnvironmentConfig
from constructs_lib.kms import CustomerKey, CustomerKeyProps
from constructs_lib.state_backend import StateBackend, StateBackendProps, StateReplicaProps
from stacks.base import MeridianStack, RemoteState


class StateStack(MeridianStack):
    def __init__(self, scope: Construct, config: EnvironmentConfig) -> None:
        state = RemoteState(config)
        super().__init__(scope, config, role="state", region=state.region, remote=False)
        key = CustomerKey(self, "state-key", CustomerKeyProps("state", self.naming, self.account_id, self.region))
        replica_key = CustomerKey(
            self, "state-replica-key", CustomerKeyProps("state", self.naming, self.account_id, state.replica_region)
        )
        backend = StateBackend(
            self,
            "remote-state",
            StateBackendProps(
                bucket_name=state.bucket,
                access_log_bucket_name=state.access_log_bucket,
                lock_table_name=state.lock_table,
                key=key,
                noncurrent_version_days=config.retention.state_noncurrent_days,
                access_log_days=config.retention.log_days,
                deletion_protection=config.deletion_protection,
                region=self.region,
                account_id=self.account_id,
                replica=StateReplicaProps(
                    region=state.replica_region,
                    bucket_name=state.replica_bucket,
                    access_log_bucket_name=state.replica_access_log_bucket,
                    key=replica_key,
                    replication_role_name=self.naming.name("tfstate-replication"),
                ),
            ),
        )
        self.output("state_bucket", backend.bucket.name, "S3 bucket holding every other stack's Terraform state")
        self.output("state_lock_table", backend.lock_table.name, "DynamoDB table locking Terraform state")
        self.output("state_key_arn", key.arn, "KMS key encrypting Terraform state and its lock table")
        self.output(
            "state_replica_bucket",
            backend.replica.name,
            f"Replica of the state bucket in {state.replica_region}: the backend while the primary region is down",
        )
        self.output(
            "state_replica_key_arn", replica_key.arn, f"KMS key encrypting the state replica in {state.replica_region}"
        )

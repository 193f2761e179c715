"""The stack base class: owns provider configuration, remote state and naming, so constructs
never build providers or backends themselves (TerraConstructs' lesson, STYLE.md)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from cdktf import LocalBackend, S3Backend, TerraformDataSource, TerraformOutput, TerraformResource, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderDefaultTags
from constructs import Construct

from config import EnvironmentConfig
from constructs_lib.naming import Naming

# Where the remote-state stacks find their state: the state bucket, or (DC-3, while the primary
# region is down) its replica in the secondary region. Chosen at synth through this context value.
STATE_SOURCE_CONTEXT = "stateSource"
STATE_SOURCES = ("primary", "replica")


class RemoteState:
    """Where the bootstrap stack keeps state for the others: derived from config, so the state
    stack and its consumers agree without anyone pasting a bucket name."""

    def __init__(self, config: EnvironmentConfig) -> None:
        naming = Naming(config.project, config.environment)
        self.region = config.regions.primary.name
        self.bucket = naming.bucket("tfstate", config.accounts.own, self.region)
        self.access_log_bucket = naming.bucket("tfstate-access-logs", config.accounts.own, self.region)
        self.lock_table = naming.name("tfstate-lock")
        self.key_alias = naming.alias("state")  # the same alias names each region's state key
        # DC-3: the state bucket's replica, where every stack's state is while the primary region is down
        self.replica_region = config.regions.secondary.name
        self.replica_bucket = naming.bucket("tfstate", config.accounts.own, self.replica_region)
        self.replica_access_log_bucket = naming.bucket("tfstate-access-logs", config.accounts.own, self.replica_region)


class MeridianStack(TerraformStack):
    """One Terraform stack of one environment in one region.

    `role` is the stack's place in the environment (state, primary, secondary, global); its id,
    and so its state key, is `<project>-<env>-<role>`.
    """

    def __init__(self, scope: Construct, config: EnvironmentConfig, *, role: str, region: str, remote: bool) -> None:
        super().__init__(scope, f"{config.project}-{config.environment}-{role}")
        self.config = config
        self.role = role
        self.region = region
        self.naming = Naming(config.project, config.environment)
        self.account_id = config.accounts.own
        self._providers: dict[str, AwsProvider] = {}
        self._provider("aws", region, alias=None)
        if remote:
            self._use_remote_state(RemoteState(config))
        else:
            # Bootstrap state lives beside the project, not in cdktf.out (synth clears that folder)
            # and not at an absolute path (cdktf's default would pin it to one machine's checkout).
            LocalBackend(self, path=f"../../../terraform.{self.node.id}.tfstate")

    def _use_remote_state(self, state: RemoteState) -> None:
        source = self.node.try_get_context(STATE_SOURCE_CONTEXT) or "primary"
        if source not in STATE_SOURCES:
            raise ValueError(f"{STATE_SOURCE_CONTEXT} {source!r} is unknown; allowed: {', '.join(STATE_SOURCES)}")
        replica = source == "replica"
        S3Backend(
            self,
            bucket=state.replica_bucket if replica else state.bucket,
            key=self.naming.state_key(self.role),
            region=state.replica_region if replica else state.region,
            encrypt=True,
            # without a key the backend writes SSE-S3, overriding the bucket's SSE-KMS default
            kms_key_id=state.key_alias,
            # the table is in the primary region: on the replica the S3 lock file locks alone
            dynamodb_table=None if replica else state.lock_table,
        )
        # Terraform 1.10+ locks with an S3 lock file; the DynamoDB table stays because our users'
        # tooling is standardized on it. The binding predates the field, hence the override.
        self.add_override("terraform.backend.s3.use_lockfile", True)

    def _provider(self, id_: str, region: str, alias: str | None) -> AwsProvider:
        config = self.config
        return AwsProvider(
            self,
            id_,
            region=region,
            alias=alias,
            allowed_account_ids=[config.accounts.own],  # refuse to touch any other account
            default_tags=[AwsProviderDefaultTags(tags=config.default_tags())],
        )

    @contextmanager
    def in_region(self, region: str, id_: str) -> Iterator[Construct]:
        """A scope whose resources and data sources all use an aliased provider of `region`.

        For what a stack keeps outside its own region: CloudFront's certificate and web ACL (CLOUDFRONT_REGION),
        another region's secret read by the global stack. One aliased provider per region, shared.

            with stack.in_region(CLOUDFRONT_REGION, "cloudfront-home") as home:
                DnsValidatedCertificate(home, "certificate", ...)
        """
        if region not in self._providers:
            self._providers[region] = self._provider(f"aws-{region}", region, alias=region)
        scope = Construct(self, id_)
        yield scope
        for node in scope.node.find_all():
            if isinstance(node, TerraformResource | TerraformDataSource):
                node.provider = self._providers[region]

    def output(self, id_: str, value, description: str, sensitive: bool = False) -> TerraformOutput:
        return TerraformOutput(self, id_, value=value, description=description, sensitive=sensitive)

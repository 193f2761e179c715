"""A Lambda function built from lambda_src/, the one way every function of Meridian is made (LAM-1..LAM-4).

How to use (the stack builds the code with tools.lambda_build and passes it in):

    fn = LambdaFunction(self, "notifier", LambdaFunctionProps(
        name=naming.name("notifier"), description="...", code=build("notifier"),
        account_id=account, region=region, logs=logs, environment_key=keys.for_("lambda"),
        reserved_concurrency=config.functions.notifier.reserved_concurrency,
        environment={"TOPIC_ARN": topic.arn},
        vpc=VpcPlacement(network.private_subnet_ids, tier),        # optional
        dead_letter_key=keys.for_("sqs"),                          # asynchronously invoked functions only
    ))
    topic.grant_publish(fn.role)                     # resources grant to the function's role
    fn.consume_queue(events_queue)                   # SQS event source, partial batch failures
    fn.consume_stream(stream, on_failure=failures)   # Kinesis event source, bisect, age, on-failure queue
    fn.allow_invoke("secretsmanager.amazonaws.com", source_arn=secret.arn, sid="...")
    fn.function_name, fn.arn, fn.log_group, fn.dead_letter_queue

What every function gets, so none can be made without it: the zip as a content-hashed asset whose
SHA-256 is the `source_code_hash` (a changed zip redeploys, the same zip does not; no inline code),
its log group with the logs key and the one retention (OPS-1), X-Ray tracing, reserved concurrency,
its environment encrypted with the Lambda CMK, and its own role that trusts only Lambda for this
account, holding exactly what the function's wiring granted (SEC-5). Only the actions AWS grants on
`*` alone (X-Ray, the network interfaces of a VPC function) name no resource.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cdktf import AssetType, TerraformAsset
from cdktf_cdktf_provider_aws.lambda_event_source_mapping import LambdaEventSourceMapping
from cdktf_cdktf_provider_aws.lambda_function import LambdaFunction as LambdaFunctionResource
from cdktf_cdktf_provider_aws.lambda_permission import LambdaPermission
from constructs import Construct

from constructs_lib.kms import CustomerKey
from constructs_lib.log_group import EncryptedLogGroup, EncryptedLogGroupProps, LogSettings
from constructs_lib.policy import Statement
from constructs_lib.queue import EncryptedQueue, EncryptedQueueProps
from constructs_lib.security_tier import SecurityTier
from constructs_lib.service_role import ServiceRole, ServiceRoleProps
from constructs_lib.stream import EventStream

# Actions AWS only grants on "*" (SEC-5): trace upload, and describing the network interfaces
# Lambda manages for a function in a VPC; changing them names the function's subnets and group.
TRACING_ACTIONS = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
VPC_DESCRIBE_ACTIONS = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]
VPC_CHANGE_ACTIONS = [
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
]
PARTIAL_BATCH_FAILURES = ["ReportBatchItemFailures"]


class PackagedCode(Protocol):
    """What tools.lambda_build.build(name) returns: a zip and what Lambda needs to run it."""

    @property
    def path(self) -> Path: ...
    @property
    def sha256_b64(self) -> str: ...
    @property
    def handler(self) -> str: ...
    @property
    def runtime(self) -> str: ...
    @property
    def architecture(self) -> str: ...


@dataclass(frozen=True)
class VpcPlacement:
    subnet_ids: Sequence[str]  # the private subnets, one per AZ
    security_tier: SecurityTier  # the function's own tier; stores admit it by their rules


@dataclass(frozen=True)
class LambdaFunctionProps:
    name: str  # physical function name, with the environment suffix
    role_name: str  # IAM names are global: with the region, naming.name("notifier", region)
    description: str  # what the function does
    code: PackagedCode
    account_id: str
    region: str
    logs: LogSettings  # the stack's logs key and retention (OPS-1)
    environment_key: CustomerKey  # the region's "lambda" key
    reserved_concurrency: int  # from config: functions.<name>.reserved_concurrency
    timeout_seconds: int = 30
    memory_mib: int = 256
    environment: Mapping[str, str] = field(default_factory=dict)
    vpc: VpcPlacement | None = None  # None: outside any VPC (the function only calls AWS APIs)
    dead_letter_key: CustomerKey | None = None  # the "sqs" key; set for asynchronously invoked functions

    def __post_init__(self) -> None:
        if self.environment_key.purpose != "lambda":
            raise ValueError(
                f"function {self.name}: environment encrypted with the 'lambda' key, "
                f"not the {self.environment_key.purpose!r} key"
            )
        if not 1 <= self.timeout_seconds <= 900:
            raise ValueError(f"function {self.name}: timeout {self.timeout_seconds} s; allowed: 1 to 900")
        if not 128 <= self.memory_mib <= 10240:
            raise ValueError(f"function {self.name}: memory {self.memory_mib} MiB; allowed: 128 to 10240")
        if self.reserved_concurrency < 1:
            raise ValueError(
                f"function {self.name}: reserved concurrency {self.reserved_concurrency} would stop it; allowed: 1 or more"
            )


class LambdaFunction(Construct):
    def __init__(self, scope: Construct, id_: str, props: LambdaFunctionProps) -> None:
        super().__init__(scope, id_)
        self._props = props
        self.role = ServiceRole(
            self,
            "role",
            ServiceRoleProps(
                name=props.role_name,
                description=f"Lambda function {props.name}: {props.description}",
                service="lambda.amazonaws.com",
                source_account=props.account_id,
            ),
        )
        self.log_group = EncryptedLogGroup(
            self, "logs", EncryptedLogGroupProps(f"/aws/lambda/{props.name}", props.logs)
        )
        self.log_group.grant_write(self.role)
        self.role.add_to_policy(Statement(sid="Tracing", actions=TRACING_ACTIONS, resources=["*"]))
        if props.vpc:
            self._grant_network_interfaces(props.vpc)
        self.dead_letter_queue: EncryptedQueue | None = None
        if props.dead_letter_key:
            self.dead_letter_queue = EncryptedQueue(
                self,
                "dead-letters",
                EncryptedQueueProps(f"{props.name}-dead-letters", props.dead_letter_key, props.region),
            )
            self.dead_letter_queue.grant_send(self.role)
        code = TerraformAsset(self, "code", path=str(props.code.path), type=AssetType.FILE)
        self._function = LambdaFunctionResource(
            self,
            "function",
            function_name=props.name,
            description=props.description,
            role=self.role.arn,
            filename=code.path,
            source_code_hash=props.code.sha256_b64,
            handler=props.code.handler,
            runtime=props.code.runtime,
            architectures=[props.code.architecture],
            timeout=props.timeout_seconds,
            memory_size=props.memory_mib,
            reserved_concurrent_executions=props.reserved_concurrency,
            kms_key_arn=props.environment_key.arn,
            environment={"variables": dict(props.environment)} if props.environment else None,
            tracing_config={"mode": "Active"},
            logging_config={"log_format": "Text", "log_group": self.log_group.name},
            vpc_config=(
                {"subnet_ids": list(props.vpc.subnet_ids), "security_group_ids": [props.vpc.security_tier.id]}
                if props.vpc
                else None
            ),
            dead_letter_config={"target_arn": self.dead_letter_queue.arn} if self.dead_letter_queue else None,
            # Lambda checks the role's permissions when it creates the function (a VPC function's
            # network interfaces, the dead-letter queue): the policy exists first.
            depends_on=[self.role.policy] if self.role.policy else None,
        )
        self._function_name: str = self._function.function_name  # read once: a round trip to the jsii runtime
        self._arn: str = self._function.arn

    def _grant_network_interfaces(self, vpc: VpcPlacement) -> None:
        ec2 = f"arn:aws:ec2:{self._props.region}:{self._props.account_id}"
        self.role.add_to_policy(
            Statement(sid="DescribeNetworkInterfaces", actions=VPC_DESCRIBE_ACTIONS, resources=["*"])
        )
        self.role.add_to_policy(
            Statement(
                sid="ManageNetworkInterfaces",
                actions=VPC_CHANGE_ACTIONS,
                resources=[
                    f"{ec2}:network-interface/*",
                    *(f"{ec2}:subnet/{subnet_id}" for subnet_id in vpc.subnet_ids),
                    vpc.security_tier.arn,
                ],
            )
        )

    @property
    def function_name(self) -> str:
        return self._function_name

    @property
    def arn(self) -> str:
        return self._arn

    @property
    def timeout_seconds(self) -> int:
        return self._props.timeout_seconds

    def allow_invoke(self, service: str, *, source_arn: str, sid: str) -> LambdaPermission:
        """An AWS service may invoke the function for this account, for one source resource only."""
        return LambdaPermission(
            self,
            f"invoke-{sid}",
            statement_id=sid,
            action="lambda:InvokeFunction",
            function_name=self.function_name,
            principal=service,
            source_account=self._props.account_id,
            source_arn=source_arn,
        )

    def consume_queue(self, queue: EncryptedQueue, *, batch_size: int = 10, batching_window_seconds: int = 1) -> None:
        """SQS feeds the function; it reports the messages it could not handle, SQS delivers those again."""
        queue.grant_consume(self.role)
        LambdaEventSourceMapping(
            self,
            f"from-{queue.node.id}",
            event_source_arn=queue.arn,
            function_name=self.arn,
            batch_size=batch_size,
            maximum_batching_window_in_seconds=batching_window_seconds,
            function_response_types=PARTIAL_BATCH_FAILURES,
        )

    def consume_stream(
        self,
        stream: EventStream,
        *,
        on_failure: EncryptedQueue,
        batch_size: int = 100,
        maximum_record_age_seconds: int = 3600,
        maximum_retry_attempts: int = 5,
        starting_position: str = "TRIM_HORIZON",
    ) -> None:
        """Kinesis feeds the function: a failing batch is split to isolate the bad record, a record is
        retried until it is too old or out of attempts, then its description goes to `on_failure`."""
        stream.grant_read(self.role)
        on_failure.grant_send(self.role)
        LambdaEventSourceMapping(
            self,
            f"from-{stream.node.id}",
            event_source_arn=stream.arn,
            function_name=self.arn,
            starting_position=starting_position,
            batch_size=batch_size,
            function_response_types=PARTIAL_BATCH_FAILURES,
            bisect_batch_on_function_error=True,
            maximum_record_age_in_seconds=maximum_record_age_seconds,
            maximum_retry_attempts=maximum_retry_attempts,
            destination_config={"on_failure": {"destination_arn": on_failure.arn}},
        )

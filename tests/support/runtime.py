"""The runtime constructs composed in one bare test stack (QA-1), with the smallest real stand-ins for
what the network and data tier provide: a VPC with subnets, security groups, secrets, an EFS access
point, a Kinesis stream and buckets. Tests read the synthesized JSON of this one composition."""

from __future__ import annotations

import json
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cognito_user_pool import CognitoUserPool
from cdktf_cdktf_provider_aws.cognito_user_pool_client import CognitoUserPoolClient
from cdktf_cdktf_provider_aws.efs_access_point import EfsAccessPoint
from cdktf_cdktf_provider_aws.efs_file_system import EfsFileSystem
from cdktf_cdktf_provider_aws.kinesis_stream import KinesisStream
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.secretsmanager_secret import SecretsmanagerSecret
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc

from constructs_lib.alerts import AlertTopic, AlertTopicProps
from constructs_lib.certificate import DnsValidatedCertificate, DnsValidatedCertificateProps
from constructs_lib.ecr import ImageRepository, ImageRepositoryProps
from constructs_lib.ecs_cluster import FargateCluster, FargateClusterProps
from constructs_lib.fargate_service import FargateService, FargateServiceProps
from constructs_lib.fargate_task import EfsMount
from constructs_lib.kms import CustomerKey, CustomerKeyProps, KeyRing
from constructs_lib.load_balancer import PublicLoadBalancer, PublicLoadBalancerProps
from constructs_lib.log_group import LogSettings
from constructs_lib.origin_secret import OriginHeader
from constructs_lib.payment_tasks import (
    HEALTH_PATH,
    PORT,
    PaymentServiceTasks,
    PaymentServiceTasksProps,
    RedisAccess,
)
from constructs_lib.policy import Statement
from constructs_lib.secure_bucket import SecureBucket, SecureBucketProps
from constructs_lib.service_role import ServiceRole
from constructs_lib.web_acl import FORWARDED_FOR, WebAcl, WebAclProps
from tests.support.constructs import TEST_ACCOUNT, TEST_NAMING, TEST_REGION

HOSTED_ZONE = "Z0452TESTMERIDIAN"
ORIGIN_HEADER = OriginHeader(
    "X-Meridian-Origin-Verify", "${data.aws_secretsmanager_secret_version.origin.secret_string}"
)
DOMAIN = f"{TEST_REGION}.api.test.example.com"
ALTERNATIVE = "api.test.example.com"
REDIS = RedisAccess(
    endpoint="master.meridian-test.cache.amazonaws.com",
    user_name="payment-service",
    user_arn=f"arn:aws:elasticache:{TEST_REGION}:{TEST_ACCOUNT}:user:payment-service",
    replication_group_id="meridian-test",
    replication_group_arn=f"arn:aws:elasticache:{TEST_REGION}:{TEST_ACCOUNT}:replicationgroup:meridian-test",
)
DATABASE_HOST = "meridian-db-test.global-abc123.global.rds.amazonaws.com"  # a global writer endpoint
KEY_PURPOSES = ("logs", "secrets", "s3", "sns", "ecr", "kinesis", "efs")


class TestStream:
    """The payment stream as the data tier's EventStream offers it: a name and grant_write."""

    def __init__(self, scope, key) -> None:
        self._stream = KinesisStream(
            scope, "stream", name="meridian-payments-test", encryption_type="KMS", kms_key_id=key.arn
        )

    @property
    def name(self) -> str:
        return self._stream.name

    def grant_write(self, role: ServiceRole) -> None:
        role.add_to_policy(Statement(sid="WriteStream", actions=["kinesis:PutRecord"], resources=[self._stream.arn]))


class TestUserPool:
    """A population's user pool as the edge's UserPool offers it: issuer, keys and app client."""

    def __init__(self, scope, population: str) -> None:
        self._pool = CognitoUserPool(scope, f"{population}-pool", name=f"meridian-{population}-test")
        self._client = CognitoUserPoolClient(
            scope, f"{population}-client", name=f"meridian-{population}-app-test", user_pool_id=self._pool.id
        )

    @property
    def issuer_url(self) -> str:
        return f"https://{self._pool.endpoint}"

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer_url}/.well-known/jwks.json"

    @property
    def client_id(self) -> str:
        return self._client.id


@dataclass(frozen=True)
class AccessLogs:
    name: str
    prefix: str = "alb"


def build_runtime(
    stack, *, deploy: bool = True, deletion_protection: bool = True, secrets_region: str = TEST_REGION
) -> None:
    """The runtime's constructs wired as stacks/runtime.py wires them; `secrets_region`: where the secrets' key is."""
    keys = KeyRing(
        stack, "keys", naming=TEST_NAMING, account_id=TEST_ACCOUNT, region=TEST_REGION, purposes=KEY_PURPOSES
    )
    logs = LogSettings(keys.for_("logs"), 365)
    alerts = AlertTopic(
        stack, "alerts", AlertTopicProps(name="meridian-alerts-test", key=keys.for_("sns"), account_id=TEST_ACCOUNT)
    )
    vpc = Vpc(stack, "vpc", cidr_block="10.0.0.0/16")
    public = [Subnet(stack, f"public{az}", vpc_id=vpc.id, cidr_block=f"10.0.{az}.0/24").id for az in (1, 2, 3)]
    private = [Subnet(stack, f"private{az}", vpc_id=vpc.id, cidr_block=f"10.0.1{az}.0/24").id for az in (1, 2, 3)]
    alb_tier = SecurityGroup(stack, "alb-tier", name="meridian-alb-test", description="ALB", vpc_id=vpc.id)
    app_tier = SecurityGroup(stack, "app-tier", name="meridian-app-test", description="tasks", vpc_id=vpc.id)
    secrets_key = (
        keys.for_("secrets")
        if secrets_region == TEST_REGION
        else CustomerKey(stack, "far-secrets", CustomerKeyProps("secrets", TEST_NAMING, TEST_ACCOUNT, secrets_region))
    )
    app_secret = SecretsmanagerSecret(stack, "app-secret", name="meridian-db-app-test", kms_key_id=secrets_key.arn)
    master_secret = SecretsmanagerSecret(
        stack, "master-secret", name="meridian-db-master-test", kms_key_id=secrets_key.arn
    )
    file_system = EfsFileSystem(stack, "efs", encrypted=True, kms_key_id=keys.for_("efs").arn)
    access_point = EfsAccessPoint(stack, "access-point", file_system_id=file_system.id)
    documents = SecureBucket(
        stack,
        "documents",
        SecureBucketProps(name="meridian-documents-test", key=keys.for_("s3"), noncurrent_version_days=30),
    )
    repository = ImageRepository(
        stack,
        "images",
        ImageRepositoryProps("meridian-payment-service-test", keys.for_("ecr"), TEST_REGION, TEST_ACCOUNT),
    )
    cluster = FargateCluster(stack, "cluster", FargateClusterProps("meridian-test"))
    tasks = PaymentServiceTasks(
        stack,
        "payment",
        PaymentServiceTasksProps(
            naming=TEST_NAMING,
            region=TEST_REGION,
            account_id=TEST_ACCOUNT,
            repository=repository,
            image=repository.image("1.4.2"),
            cpu_units=2048,
            memory_mib=4096,
            logs=logs,
            database_secret_arn=app_secret.arn,
            master_secret_arn=master_secret.arn,
            secrets_key=secrets_key,
            database_host=DATABASE_HOST,
            redis=REDIS,
            stream=TestStream(stack, keys.for_("kinesis")),
            documents=documents,
            alerts=alerts,
            efs=EfsMount(file_system.id, file_system.arn, access_point.id, access_point.arn, "/mnt/documents"),
            merchant_pool=TestUserPool(stack, "merchants"),
            customer_pool=TestUserPool(stack, "customers"),
        ),
    )
    alb_logs = S3Bucket(stack, "alb-logs", bucket="meridian-alb-logs-test")
    alb_logs_policy = S3BucketPolicy(stack, "alb-logs-policy", bucket=alb_logs.id, policy="{}")
    certificate = DnsValidatedCertificate(
        stack, "certificate", DnsValidatedCertificateProps(DOMAIN, HOSTED_ZONE, (ALTERNATIVE,))
    )
    alb = PublicLoadBalancer(
        stack,
        "alb",
        PublicLoadBalancerProps(
            naming=TEST_NAMING,
            hostname=DOMAIN,
            vpc_id=vpc.id,
            subnet_ids=public,
            security_group=alb_tier,
            certificate=certificate,
            access_logs=AccessLogs(alb_logs.bucket),
            target_port=PORT,
            health_check_path=HEALTH_PATH,
            origin_header=ORIGIN_HEADER,
            deletion_protection=deletion_protection,
            depends_on=[alb_logs_policy],
        ),
    )
    # the load balancer sees only relays: its ACL counts the client address they forward (as stacks/runtime.py)
    waf = WebAcl(
        stack,
        "waf",
        WebAclProps(TEST_NAMING, "alb", logs, client_address_header=FORWARDED_FOR, unrelayed_path=HEALTH_PATH),
    )
    waf.associate("alb", alb.arn)
    if deploy:
        FargateService(
            stack,
            "service",
            FargateServiceProps(
                naming=TEST_NAMING,
                cluster=cluster,
                task=tasks.service,
                subnet_ids=private,
                security_group=app_tier,
                load_balancer=alb,
                alerts=alerts,
                min_tasks=3,
                max_tasks=20,
                depends_on=[file_system, access_point],
            ),
        )


def role_policy(synth, role_name: str) -> list[dict]:
    """The statements of the one inline policy of the role with this physical name."""
    roles = {logical: body["name"] for logical, body in synth.resources("aws_iam_role").items()}
    (logical,) = [lg for lg, name in roles.items() if name == role_name]
    (body,) = [
        p for p in synth.resources("aws_iam_role_policy").values() if p["role"] == f"${{aws_iam_role.{logical}.id}}"
    ]
    return json.loads(body["policy"])["Statement"]


def container(synth, family: str) -> dict:
    (definition,) = [d for d in synth.resources("aws_ecs_task_definition").values() if d["family"] == family]
    (only,) = json.loads(definition["container_definitions"])
    return only


def task_definition(synth, family: str) -> dict:
    (definition,) = [d for d in synth.resources("aws_ecs_task_definition").values() if d["family"] == family]
    return definition


def address(synth, type_: str, path: str) -> str:
    """`type.logical` of the one resource of this type under the construct path (`keys/ecr`, `app-secret`):
    cdktf's logical IDs are the path joined by `_`, plus a hash below the stack's top level."""
    prefix = path.replace("/", "_")
    (logical,) = [lg for lg in synth.resources(type_) if lg == prefix or lg.startswith(prefix + "_")]
    return f"{type_}.{logical}"

"""The payment service's runtime in one region (APP-2..APP-6, SEC-5, SEC-8, SEC-9, EDGE-5, DC-10, OPS-1).

The region's image repository, the ECS cluster, the service's and the migration's task
definitions, the internet-facing ALB with its certificate, its secret origin header and its
regional WAF web ACL (rate-limiting the client address the relays forward), and, only with `service.deploy` on, the ECS service with its autoscaling and
deployment alarms. Both regions run the same image tag, each from its own repository.

What other stacks build on (the contract; names stay stable):

    stack.runtime.load_balancer   .arn .arn_suffix .dns_name .zone_id .hostname .security_group
                                  .blue.arn_suffix .green.arn_suffix
    stack.runtime.origin_secret   .arn .header_name   (CloudFront sends the header, the ALB requires it)
    stack.runtime.service         None with service.deploy off; else .cluster_name .service_name
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from constructs import Construct

from config import EnvironmentConfig
from constructs_lib.certificate import (
    Certificate,
    DnsValidatedCertificate,
    DnsValidatedCertificateProps,
    ImportedCertificate,
)
from constructs_lib.db_credentials import RegionalSecrets
from constructs_lib.ecr import ImageRepository, ImageRepositoryProps
from constructs_lib.ecs_cluster import FargateCluster, FargateClusterProps
from constructs_lib.fargate_service import FargateService, FargateServiceProps
from constructs_lib.load_balancer import PublicLoadBalancer, PublicLoadBalancerProps
from constructs_lib.origin_secret import OriginSecret, OriginSecretProps
from constructs_lib.payment_tasks import HEALTH_PATH, PORT, PaymentServiceTasks, PaymentServiceTasksProps
from constructs_lib.user_pool import UserPool
from constructs_lib.web_acl import FORWARDED_FOR, WebAcl, WebAclProps
from stacks.data_tier import DataTier
from stacks.network_stores import NetworkStores
from stacks.region import RegionBasics

if TYPE_CHECKING:
    from stacks.regional import RegionalStack

DOCUMENTS_PATH = "/mnt/documents"  # where the EFS access point is mounted in the service's container
POPULATIONS = ("merchants", "customers")  # the service accepts tokens of exactly these two user pools


def issued_certificate(scope: Construct, config: EnvironmentConfig, region: str, hostname: str) -> Certificate:
    """Issued and validated by DNS in the hosted zone (EDGE-5); only a user's own config without a hosted zone
    names an issued certificate per region instead (config refuses a malformed one or one of another region).
    The load balancer's, the API's and (in CLOUDFRONT_REGION) CloudFront's certificates are all made here."""
    if config.dns.hosted_zone_id is None:
        return ImportedCertificate(config.dns.certificate_arns[region])
    return DnsValidatedCertificate(
        scope, "certificate", DnsValidatedCertificateProps(hostname, config.dns.hosted_zone_id)
    )


def compose_runtime(stack: RegionalStack) -> Runtime:
    """The regional stack's runtime: its tasks read the copies of the database secrets in their own
    region (the standby region's are replicas) and reach the writer by the global writer endpoint (DC-3)."""
    secrets, writer = stack.stores.secrets, stack.stores.global_writer_endpoint
    if secrets is None or writer is None:
        raise ValueError(f"{stack.node.path}: lead or join the global database before composing the runtime")
    return Runtime(
        stack,
        "runtime",
        stack.basics,
        data=stack.data,
        stores=stack.stores,
        user_pools=stack.user_pools,
        secrets=secrets,
        database_host=writer,
    )


class Runtime(Construct):
    def __init__(
        self,
        scope: Construct,
        id_: str,
        basics: RegionBasics,
        *,
        data: DataTier,
        stores: NetworkStores,
        user_pools: Mapping[str, UserPool],
        secrets: RegionalSecrets,
        database_host: str,
    ) -> None:
        """`secrets`: the database secrets' copies in this region and their key; `database_host`: the global
        writer endpoint."""
        super().__init__(scope, id_)
        config, naming, region, keys = basics.config, basics.naming, basics.region, basics.keys
        logs, alerts, network = basics.logs, basics.alerts, basics.network
        self.region = region
        account = config.accounts.own
        missing = [population for population in POPULATIONS if population not in user_pools]
        if missing:
            raise ValueError(
                f"identity.populations lacks {', '.join(missing)}; allowed: a list holding {' and '.join(POPULATIONS)} "
                "(the payment service accepts tokens of both)"
            )
        if stores.database is None:
            raise ValueError(f"{self.node.path}: lead or join the global database before composing the runtime")
        self.repository = ImageRepository(
            self,
            "images",
            ImageRepositoryProps(config.payment_service_repository, keys.for_("ecr"), region, account),
        )
        self.cluster = FargateCluster(self, "cluster", FargateClusterProps(naming.name("payments")))
        self.tasks = PaymentServiceTasks(
            self,
            "payment",
            PaymentServiceTasksProps(
                naming=naming,
                region=region,
                account_id=account,
                repository=self.repository,
                image=config.image_in(region),
                cpu_units=config.service.cpu_units,
                memory_mib=config.service.memory_mib,
                logs=logs,
                database_secret_arn=secrets.app_arn,
                master_secret_arn=secrets.master_arn,
                secrets_key=secrets.key,
                database_host=database_host,
                redis=stores.cache.access,
                stream=data.stream,
                documents=data.documents,
                alerts=alerts,
                efs=stores.files.mount(DOCUMENTS_PATH),
                merchant_pool=user_pools["merchants"],
                customer_pool=user_pools["customers"],
            ),
        )
        self.origin_secret = OriginSecret(
            self,
            "origin-secret",
            OriginSecretProps(
                naming.name("origin-verify"), keys.for_("secrets"), version=config.service.origin_header_version
            ),
        )
        alb_tier = network.security_tier(
            self, "alb-security", "alb", "Payment service load balancer (internet-facing)", internet_facing=True
        )
        alb_tier.allow_from_internet(443, "HTTPS from CloudFront and Route 53 health checks")
        alb_tier.allow_from_internet(80, "HTTP, only redirected to HTTPS")
        stores.app_tier.allow_from(alb_tier, PORT, "Load balancer to the payment service")
        hostname = config.dns.origin_hostname(region)
        self.load_balancer = PublicLoadBalancer(
            self,
            "alb",
            PublicLoadBalancerProps(
                naming=naming,
                hostname=hostname,
                vpc_id=network.vpc_id,
                subnet_ids=network.public_subnet_ids,
                security_group=alb_tier,
                certificate=issued_certificate(self, config, region, hostname),
                access_logs=data.alb_logs,
                target_port=PORT,
                health_check_path=HEALTH_PATH,
                origin_header=self.origin_secret.header,
                deletion_protection=config.deletion_protection,
                depends_on=[data.alb_logs.policy],
            ),
        )
        # The load balancer only answers CloudFront and API Gateway, so its ACL counts the client address they
        # forward, never theirs; the edges' own ACLs count each client's connection (stacks/edge.py, README).
        self.web_acl = WebAcl(
            self,
            "waf",
            WebAclProps(
                naming,
                "alb",
                logs,
                requests_per_5_minutes=config.edge.rate_limits.origin_per_forwarded_client,
                client_address_header=FORWARDED_FOR,
                unrelayed_path=HEALTH_PATH,
            ),
        )
        self.web_acl.associate("alb", self.load_balancer.arn)
        self.service: FargateService | None = None
        if config.service.deploy:
            self.service = FargateService(
                self,
                "service",
                FargateServiceProps(
                    naming=naming,
                    cluster=self.cluster,
                    task=self.tasks.service,
                    subnet_ids=network.private_subnet_ids,
                    security_group=stores.app_tier,
                    load_balancer=self.load_balancer,
                    alerts=alerts,
                    min_tasks=config.capacity.app_min_tasks,
                    max_tasks=config.capacity.app_max_tasks,
                    # ECR, logs and Secrets Manager through the endpoints, and the database, from the first task
                    depends_on=[*network.endpoints.dependables, *stores.database.instances],
                ),
            )

    def outputs(self) -> dict[str, tuple[str, str]]:
        """Name -> (value, description) of what the edge, operations and CI need (DC-10)."""
        where = f"in {self.region}"
        alb = self.load_balancer
        found = {
            "load_balancer_arn": (alb.arn, f"ARN of the payment service's load balancer {where}"),
            "load_balancer_dns_name": (alb.dns_name, f"DNS name of the load balancer {where}, for alias records only"),
            "load_balancer_zone_id": (alb.zone_id, f"Hosted zone of the load balancer {where}, for alias records"),
            "origin_hostname": (alb.hostname, f"Origin name of the load balancer {where}; its certificate covers it"),
            "origin_secret_arn": (
                self.origin_secret.arn,
                f"Secret holding the {self.origin_secret.header_name} value the load balancer {where} requires",
            ),
            "ecr_repository_url": (self.repository.url, f"ECR repository of the payment service image {where}"),
            "ecs_cluster_name": (self.cluster.name, f"ECS cluster of the payment service {where}"),
        }
        if self.service is not None:
            found["ecs_service_name"] = (self.service.service_name, f"ECS service of the payment service {where}")
        return found

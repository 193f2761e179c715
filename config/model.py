"""Typed environment configuration: the one shape every environment file must have.

Validated once, at the edge (config.load); stacks and constructs receive these frozen objects and
never read files or the environment themselves. Every field documents its meaning; values that
differ between environments live in config/environments/*.yaml, not here.
"""

from __future__ import annotations

import ipaddress
import re
import ssl
from pathlib import Path
from typing import ClassVar, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

# Regions Meridian is allowed to run in (commercial partition, all offer every service used).
Region = Literal[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "ca-central-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-central-1",
    "eu-north-1",
    "eu-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-south-1",
    "sa-east-1",
]
AWS_REGIONS: tuple[str, ...] = get_args(Region)
# CloudFront keeps its certificates and CLOUDFRONT-scope web ACLs in this region (an AWS rule).
CLOUDFRONT_REGION = "us-east-1"

ENVIRONMENTS = ("dev", "staging", "prod")

# AWS Backup refuses to delete a recovery point within 90 days of moving it to cold storage.
MIN_DAYS_IN_COLD_STORAGE = 90

# CloudWatch Logs accepts only these retention periods; a year count maps onto one of them.
LOG_RETENTION_DAYS_BY_YEARS = {1: 365, 2: 731, 3: 1096, 5: 1827, 6: 2192, 7: 2557, 8: 2922, 9: 3288, 10: 3653}

# AWS Budgets' quota of notifications per budget; each forecast or actual percentage is one.
MAX_BUDGET_NOTIFICATIONS = 5

AccountId = str
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_NAME = re.compile(r"^[a-z][a-z0-9-]{1,20}[a-z0-9]$")
_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_ZONE_ID = re.compile(r"^Z[A-Z0-9]{4,31}$")
_CERTIFICATE_ARN = re.compile(
    r"^arn:aws:acm:(?P<region>[a-z]{2}-[a-z]+-\d):\d{12}:certificate/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$"
)
# An ECR registry host, or any other registry's host[:port] (only with the deploy switch off).
_ECR_REGISTRY = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z]{2}-[a-z]+-\d)\.amazonaws\.com$")
_REGISTRY = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+(:\d{1,5})?$")
# Docker's grammar: repository path components, and a tag of up to 128 word characters, dots, dashes.
_IMAGE_NAME = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$")
_IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")

_EXTERNAL_ID = re.compile(r"^[A-Za-z0-9_+=,.@:/-]{2,1224}$")
_POPULATION = re.compile(r"^[a-z][a-z0-9-]{1,20}[a-z0-9]$")
_HTTPS_ORIGIN = re.compile(r"^https://[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d{1,5})?$")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


_DIRECTIONS = {
    "east": "e",
    "west": "w",
    "north": "n",
    "south": "s",
    "central": "c",
    "southeast": "se",
    "northeast": "ne",
}


def _zone_id_prefix(region: str) -> str:
    """How AWS zone IDs abbreviate a region: us-east-1 -> use1, ap-southeast-2 -> apse2."""
    area, direction, number = region.split("-")
    return f"{area}{_DIRECTIONS[direction]}{number}"


def _account(value: str) -> str:
    if not _ACCOUNT_ID.match(value):
        raise ValueError(f"{value!r} is not an AWS account ID; allowed: exactly 12 digits")
    return value


class RegionNetwork(_Frozen):
    """One region's placement and address plan: three AZs, one subnet per tier per AZ."""

    name: Region = Field(description="AWS region, e.g. us-east-1")
    availability_zone_ids: tuple[str, str, str] = Field(
        description="the three AZs, by zone ID (use1-az1: the same physical AZ in every account; names are not)"
    )
    vpc_cidr: str = Field(description="VPC CIDR; every subnet below must lie inside it")
    public_subnets: tuple[str, str, str] = Field(description="public subnets (ALB, NAT), one per AZ")
    private_subnets: tuple[str, str, str] = Field(description="application subnets, one per AZ")
    database_subnets: tuple[str, str, str] = Field(description="isolated database subnets, one per AZ")

    @field_validator("availability_zone_ids", mode="before")
    @classmethod
    def _three_zones(cls, value):
        if not isinstance(value, list | tuple) or len(value) != 3:
            count = len(value) if isinstance(value, list | tuple) else "no list of"
            raise ValueError(f"{count} zones given; allowed: exactly three zone IDs of the region, like use1-az1")
        return value

    @field_validator("vpc_cidr", "public_subnets", "private_subnets", "database_subnets", mode="before")
    @classmethod
    def _cidrs_are_networks(cls, value):
        for cidr in [value] if isinstance(value, str) else list(value):
            try:
                ipaddress.IPv4Network(cidr, strict=True)
            except ValueError:
                raise ValueError(
                    f"{cidr!r} is not a valid IPv4 network; allowed: a CIDR like 10.0.21.0/24 with host bits zero"
                ) from None
        return value

    @model_validator(mode="after")
    def _zones_are_three_of_this_region(self) -> RegionNetwork:
        prefix = _zone_id_prefix(self.name)
        for zone_id in self.availability_zone_ids:
            if not re.fullmatch(rf"{prefix}-az\d{{1,2}}", zone_id):
                raise ValueError(
                    f"availability_zone_ids: {zone_id!r} is not a zone of {self.name}; allowed: zone IDs like {prefix}-az1"
                )
        if len(set(self.availability_zone_ids)) != len(self.availability_zone_ids):
            raise ValueError(
                f"availability_zone_ids {list(self.availability_zone_ids)} repeat a zone; allowed: three different zones"
            )
        return self

    @model_validator(mode="after")
    def _subnets_fit_and_do_not_overlap(self) -> RegionNetwork:
        vpc = ipaddress.IPv4Network(self.vpc_cidr)
        subnets = [*self.public_subnets, *self.private_subnets, *self.database_subnets]
        nets = [ipaddress.IPv4Network(s) for s in subnets]
        for cidr, net in zip(subnets, nets, strict=True):
            if not net.subnet_of(vpc):
                raise ValueError(f"subnet {cidr} lies outside vpc_cidr {self.vpc_cidr}; allowed: subnets of the VPC")
        for i, a in enumerate(nets):
            for b in nets[i + 1 :]:
                if a.overlaps(b):
                    raise ValueError(f"subnets {a} and {b} overlap; allowed: disjoint subnets")
        return self


class Regions(_Frozen):
    primary: RegionNetwork
    secondary: RegionNetwork

    @model_validator(mode="after")
    def _distinct(self) -> Regions:
        if self.primary.name == self.secondary.name:
            raise ValueError(
                f"secondary.name equals primary.name ({self.primary.name}); allowed: two different regions"
            )
        if ipaddress.IPv4Network(self.primary.vpc_cidr).overlaps(ipaddress.IPv4Network(self.secondary.vpc_cidr)):
            raise ValueError(
                f"primary.vpc_cidr {self.primary.vpc_cidr} overlaps secondary.vpc_cidr {self.secondary.vpc_cidr}; "
                "allowed: disjoint VPC ranges (the regions are peered for replication)"
            )
        return self


class Peer(_Frozen):
    """Another environment's account and the ExternalId its principals present when they assume our role.

    The ExternalId is an identifier, not a secret (AWS: it guards against the confused deputy, and
    anyone allowed to see the role's trust policy sees it): both environments' configs name it, it
    is reviewed like any other setting, and it can be changed per peer without touching the others.
    """

    account: AccountId = Field(description="the peer environment's AWS account")
    external_id: str = Field(description="sts:ExternalId the peer presents; 2-1224 of A-Z a-z 0-9 + = , . @ : / - _")

    @field_validator("account")
    @classmethod
    def _is_account(cls, value: str) -> str:
        return _account(value)

    @field_validator("external_id")
    @classmethod
    def _external_id(cls, value: str) -> str:
        if not _EXTERNAL_ID.match(value):
            raise ValueError(
                f"{value!r} is not an ExternalId; allowed: 2-1224 characters of letters, digits and + = , . @ : / - _"
            )
        return value


class Accounts(_Frozen):
    own: AccountId = Field(description="the account this environment deploys into")
    peers: dict[str, Peer] = Field(
        default_factory=dict, description="the other environments' accounts, trusted by cross-account roles (SEC-6)"
    )
    backup: AccountId | None = Field(default=None, description="central backup account; copies go there when set")
    backup_vault: str | None = Field(
        default=None, description="the vault in the backup account that receives a copy of every recovery point"
    )

    @field_validator("own", "backup")
    @classmethod
    def _own_is_account(cls, value):
        return value if value is None else _account(value)

    @field_validator("peers")
    @classmethod
    def _peers_are_environments(cls, value: dict[str, Peer]):
        for env in value:
            if env not in ENVIRONMENTS:
                raise ValueError(f"peer {env!r} is not an environment; allowed: {', '.join(ENVIRONMENTS)}")
        return value

    @model_validator(mode="after")
    def _peers_are_other_accounts(self) -> Accounts:
        for env, peer in self.peers.items():
            if peer.account == self.own:
                raise ValueError(
                    f"peers.{env}.account is this environment's own account {peer.account}; allowed: other accounts"
                )
        return self

    @model_validator(mode="after")
    def _backup_account_with_its_vault(self) -> Accounts:
        if (self.backup is None) != (self.backup_vault is None):
            raise ValueError(
                f"backup ({self.backup}) and backup_vault ({self.backup_vault}) go together; "
                "allowed: both set (cross-account copies) or both null (none)"
            )
        if self.backup == self.own:
            raise ValueError(f"backup is this environment's own account {self.own}; allowed: another account")
        return self


class Dns(_Frozen):
    domain: str = Field(description="the environment's domain, e.g. dev.pay.example.org")
    hosted_zone_id: str | None = Field(
        default=None, description="existing public hosted zone for the domain; certificates validate by DNS in it"
    )
    certificate_arns: dict[str, str] = Field(
        default_factory=dict,
        description="only without hosted_zone_id: an issued ACM certificate per region (region name -> ARN) "
        "covering the names served there (api.<domain>, origin.<region>.<domain>), and one of us-east-1 covering "
        "<domain> for CloudFront; the shipped environments validate by DNS instead",
    )

    @field_validator("domain")
    @classmethod
    def _domain(cls, value: str) -> str:
        if not _DOMAIN.match(value):
            raise ValueError(f"{value!r} is not a domain name; allowed: lower-case DNS name like pay.example.org")
        return value

    @field_validator("hosted_zone_id")
    @classmethod
    def _zone(cls, value):
        if value is not None and not _ZONE_ID.match(value):
            raise ValueError(f"{value!r} is not a Route 53 hosted zone ID; allowed: Z followed by 4-31 capitals/digits")
        return value

    @field_validator("certificate_arns")
    @classmethod
    def _certificates(cls, value: dict[str, str]) -> dict[str, str]:
        for region, arn in value.items():
            match = _CERTIFICATE_ARN.match(arn)
            if not match:
                raise ValueError(
                    f"{region}: {arn!r} is not an ACM certificate ARN; "
                    "allowed: arn:aws:acm:<region>:<12-digit account>:certificate/<uuid>"
                )
            if match["region"] != region:
                raise ValueError(
                    f"{region}: {arn!r} is a certificate of {match['region']}; allowed: a certificate of {region} "
                    "(a load balancer uses certificates of its own region)"
                )
        return value

    @property
    def api_hostname(self) -> str:
        """The payment API's one client-facing name, served by both regions (failover records pick one)."""
        return f"api.{self.domain}"

    @property
    def cdn_hostname(self) -> str:
        """The CloudFront distribution's name: the environment's domain itself."""
        return self.domain

    def origin_hostname(self, region: str) -> str:
        """A region's load balancer, as CloudFront and API Gateway reach it (alias record, ALB certificate)."""
        return f"origin.{region}.{self.domain}"

    @model_validator(mode="after")
    def _one_way_to_a_certificate(self) -> Dns:
        if self.hosted_zone_id and self.certificate_arns:
            raise ValueError(
                f"certificate_arns is set together with hosted_zone_id {self.hosted_zone_id}; allowed: one of them "
                "(with a hosted zone the certificates are issued and validated by DNS)"
            )
        return self


class Identity(_Frozen):
    """Who signs in (EDGE-2): one Cognito user pool per population, each region its own pools."""

    populations: tuple[str, ...] = Field(
        default=("merchants", "customers"), description="user populations, one user pool (and authorizer) each"
    )
    mfa: Literal["required", "optional"] = Field(
        description="multi-factor sign-in (TOTP): required for every user, or optional per user"
    )
    password_min_length: int = Field(ge=12, le=99, description="minimum password length; all character classes")

    @field_validator("populations")
    @classmethod
    def _populations(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("no population; allowed: one or more names like merchants, customers")
        for name in value:
            if not _POPULATION.match(name):
                raise ValueError(
                    f"{name!r} is not a population name; allowed: 3-22 lower-case letters, digits, hyphens"
                )
        repeated = sorted({name for name in value if value.count(name) > 1})
        if repeated:
            raise ValueError(f"{', '.join(repeated)} listed twice; allowed: each population once")
        return value


# The client CAs' PEM and everything else a config names by path is found from the project root.
PROJECT_ROOT = Path(__file__).resolve().parents[1]
HEALTH_CHECK_INTERVALS = (10, 30)  # the only request intervals Route 53 health checks offer
# WAF's bounds on a rate-based rule's limit (requests per evaluation window, here 5 minutes).
WAF_RATE_LIMIT_MIN, WAF_RATE_LIMIT_MAX = 10, 2_000_000_000


def _waf_limit(description: str):
    return Field(ge=WAF_RATE_LIMIT_MIN, le=WAF_RATE_LIMIT_MAX, description=description)


class RateLimits(_Frozen):
    """WAF rate limits (SEC-8), in requests per client address in any 5 minutes; beyond them WAF blocks.

    CloudFront and the API stage see each client's own address. The load balancer sees only the
    relays (CloudFront, API Gateway), so its ACL counts the client address they forward.
    """

    cdn_per_client: int = _waf_limit("CloudFront's web ACL, per viewer address")
    api_per_client: int = _waf_limit("the API stage's web ACL, per caller address")
    origin_per_forwarded_client: int = _waf_limit(
        "the load balancer's web ACL, per client address in X-Forwarded-For; at least cdn + api"
    )

    @model_validator(mode="after")
    def _origin_admits_what_the_edges_admit(self) -> RateLimits:
        # one client may use both entry points; the inner layer must not block what both edges let through
        edges = self.cdn_per_client + self.api_per_client
        if self.origin_per_forwarded_client < edges:
            raise ValueError(
                f"origin_per_forwarded_client {self.origin_per_forwarded_client} is below cdn_per_client + "
                f"api_per_client ({edges}); allowed: at least their sum, so the load balancer never blocks "
                "a client both edges admit"
            )
        return self


class Edge(_Frozen):
    """The public entry points (EDGE-1, EDGE-3, EDGE-4): the payment API, CloudFront, DNS failover."""

    active_region: Region | None = Field(
        default=None,
        description="the region that answers first (failover PRIMARY, first CloudFront origin); "
        "null: regions.primary. Switching it is the planned region switch (README)",
    )
    health_check_interval_seconds: int = Field(description="Route 53 health check request interval: 10 or 30")
    health_check_failure_threshold: int = Field(
        ge=1, le=10, description="consecutive failed checks before a region counts as unhealthy"
    )
    cors_origins: tuple[str, ...] = Field(description="browser origins allowed to call the payment API (https://...)")
    throttle_rate_per_second: int = Field(ge=1, le=10_000, description="API stage and usage plan steady rate")
    throttle_burst: int = Field(ge=1, le=5_000, description="API stage and usage plan burst")
    monthly_quota: int = Field(ge=1, description="requests a month the API key's usage plan allows")
    rate_limits: RateLimits = Field(description="WAF rate limits of CloudFront, the API stage and the load balancer")
    truststore_file: str = Field(
        description="PEM of the CAs whose client certificates the API accepts (mutual TLS), relative to the "
        "project root; README: how to make one"
    )
    _truststore_pem: str = PrivateAttr(default="")

    @field_validator("health_check_interval_seconds")
    @classmethod
    def _interval(cls, value: int) -> int:
        if value not in HEALTH_CHECK_INTERVALS:
            raise ValueError(f"{value} seconds is not a Route 53 health check interval; allowed: 10, 30")
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for origin in value:
            if not _HTTPS_ORIGIN.match(origin):
                raise ValueError(f"{origin!r} is not an HTTPS origin; allowed: https://host[:port], no path")
        return value

    @model_validator(mode="after")
    def _burst_covers_rate(self) -> Edge:
        if self.throttle_burst < self.throttle_rate_per_second:
            raise ValueError(
                f"throttle_burst {self.throttle_burst} is below throttle_rate_per_second "
                f"{self.throttle_rate_per_second}; allowed: a burst at least as large as the rate"
            )
        return self

    @model_validator(mode="after")
    def _read_truststore(self) -> Edge:
        path = PROJECT_ROOT / self.truststore_file
        try:
            pem = path.read_text()
        except (OSError, UnicodeDecodeError) as error:
            raise ValueError(
                f"truststore_file {self.truststore_file!r} cannot be read ({type(error).__name__}); "
                "allowed: a PEM file of CA certificates, relative to the project root"
            ) from None
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        try:
            context.load_verify_locations(cadata=pem)
        except (ssl.SSLError, ValueError):
            context = None
        stats = context.cert_store_stats() if context else {"x509": 0, "x509_ca": 0}
        if "PRIVATE KEY" in pem or stats["x509"] == 0 or stats["x509_ca"] != stats["x509"]:
            raise ValueError(
                f"truststore_file {self.truststore_file!r} is not a PEM of CA certificates only "
                f"({stats['x509_ca']} CA certificates of {stats['x509']}, a private key: {'PRIVATE KEY' in pem}); "
                "allowed: one or more CA certificates, no key"
            )
        self._truststore_pem = pem
        return self

    @property
    def truststore_pem(self) -> str:
        """The text of truststore_file, read once when the config was validated."""
        return self._truststore_pem


class Capacity(_Frozen):
    app_min_tasks: int = Field(ge=1, le=100, description="ECS service minimum tasks")
    app_max_tasks: int = Field(ge=1, le=200, description="ECS service maximum tasks")
    db_instance_class: str = Field(pattern=r"^db\.[a-z0-9]+\.[a-z0-9]+$", description="Aurora instance class")
    db_readers: int = Field(ge=1, le=15, description="Aurora reader instances in the primary region")
    cache_node_type: str = Field(pattern=r"^cache\.[a-z0-9]+\.[a-z0-9]+$", description="ElastiCache node type")
    cache_nodes: int = Field(ge=2, le=6, description="Redis nodes (primary + replicas), at least two for failover")
    monthly_budget_usd: int = Field(ge=1, description="AWS Budgets monthly limit in USD")

    @model_validator(mode="after")
    def _min_le_max(self) -> Capacity:
        if self.app_min_tasks > self.app_max_tasks:
            raise ValueError(
                f"app_min_tasks ({self.app_min_tasks}) exceeds app_max_tasks ({self.app_max_tasks}); "
                "allowed: min <= max"
            )
        return self


class Retention(_Frozen):
    log_years: int = Field(description="retention of every log group, in years")
    db_backup_days: int = Field(ge=1, le=35, description="Aurora automated backup retention")
    state_noncurrent_days: int = Field(ge=1, le=3650, description="days to keep old Terraform state versions")
    stream_hours: int = Field(ge=24, le=8760, description="Kinesis record retention (24 hours to 365 days)")
    document_versions_days: int = Field(ge=1, le=3650, description="days to keep old versions of documents")

    @field_validator("log_years")
    @classmethod
    def _cloudwatch_accepts(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS_BY_YEARS:
            allowed = ", ".join(str(y) for y in LOG_RETENTION_DAYS_BY_YEARS)
            raise ValueError(f"{value} years is not a CloudWatch Logs retention; allowed years: {allowed}")
        return value

    @property
    def log_days(self) -> int:
        return LOG_RETENTION_DAYS_BY_YEARS[self.log_years]


# Performance Insights keeps 7 days free, or whole months (31 days each) up to 731 days.
PERFORMANCE_INSIGHTS_DAYS = (7, *range(31, 31 * 23 + 1, 31), 731)
_WINDOW = r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$"
_WEEKLY_WINDOW = (
    r"^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$"
)


class Database(_Frozen):
    """Aurora PostgreSQL (DATA-1, DATA-3, DATA-4): engine, windows and the instances' memory and connections."""

    engine_version: str = Field(pattern=r"^1[5-7]\.\d+$", description="Aurora PostgreSQL version, e.g. 16.6")
    backup_window: str = Field(pattern=_WINDOW, description="daily automated backup window (UTC), e.g. 03:00-04:00")
    maintenance_window: str = Field(
        pattern=_WEEKLY_WINDOW, description="weekly maintenance window (UTC), e.g. sun:04:30-sun:05:00"
    )
    performance_insights_days: int = Field(description="Performance Insights retention: 7, months of 31 days, 731")
    max_connections: int = Field(ge=50, le=5000, description="max_connections of each instance")
    shared_buffers_mib: int = Field(ge=128, description="shared_buffers of each instance, MiB")
    effective_cache_size_mib: int = Field(ge=128, description="effective_cache_size the planner assumes, MiB")
    work_mem_mib: int = Field(ge=1, le=2048, description="work_mem per sort or hash, MiB")
    maintenance_work_mem_mib: int = Field(ge=64, le=16384, description="maintenance_work_mem (VACUUM, indexes), MiB")

    @field_validator("performance_insights_days")
    @classmethod
    def _insights_retention(cls, value: int) -> int:
        if value not in PERFORMANCE_INSIGHTS_DAYS:
            raise ValueError(f"{value} days is not a Performance Insights retention; allowed: 7, 31 * months, 731")
        return value

    @model_validator(mode="after")
    def _buffers_within_cache(self) -> Database:
        if self.shared_buffers_mib > self.effective_cache_size_mib:
            raise ValueError(
                f"shared_buffers_mib {self.shared_buffers_mib} exceeds effective_cache_size_mib "
                f"{self.effective_cache_size_mib}; allowed: shared buffers are part of the cache the planner assumes"
            )
        return self


class FunctionSettings(_Frozen):
    """One Lambda function's share of the account's concurrency (LAM-3)."""

    reserved_concurrency: int = Field(
        ge=1, le=1000, description="concurrent executions reserved for (and capping) the function"
    )


class Functions(_Frozen):
    """The Lambda functions of lambda_src/ (LAM-1, LAM-2, LAM-4), one entry each."""

    rotation: FunctionSettings = Field(description="secret rotation of the database users (primary region)")
    notifier: FunctionSettings = Field(description="payment notifier: payment events queue to the SNS topic")
    stream_processor: FunctionSettings = Field(description="stream processor: payments stream to the events queue")


class Backup(_Frozen):
    """AWS Backup in both regions (DATA-10): daily and weekly recovery points, copied to the other region."""

    vault_name: str = Field(
        pattern=r"^[a-z][a-z0-9-]{1,40}$", description="each region's vault is <project>-<vault_name>-<environment>"
    )
    daily_retention_days: int = Field(ge=1, le=36500, description="daily recovery points are deleted after")
    weekly_cold_storage_after_days: int | None = Field(
        ge=1, description="weekly points move to cold storage after; null: they stay warm until deleted"
    )
    weekly_delete_after_days: int = Field(ge=1, le=36500, description="weekly recovery points are deleted after")

    @model_validator(mode="after")
    def _cold_points_stay_ninety_days(self) -> Backup:
        cold = self.weekly_cold_storage_after_days
        if cold is not None and self.weekly_delete_after_days < cold + MIN_DAYS_IN_COLD_STORAGE:
            raise ValueError(
                f"weekly_delete_after_days {self.weekly_delete_after_days} is less than {MIN_DAYS_IN_COLD_STORAGE} "
                f"days after weekly_cold_storage_after_days {cold}; allowed: {cold + MIN_DAYS_IN_COLD_STORAGE} or "
                "more, or no cold storage (AWS Backup keeps a cold point 90 days)"
            )
        return self


class Tags(_Frozen):
    owner: str = Field(min_length=1, description="team that owns the environment (Owner tag)")
    cost_center: str = Field(pattern=r"^[A-Z]{2}-\d{3,6}$", description="CostCenter tag, e.g. CC-1042")
    data_classification: Literal["public", "internal", "confidential", "restricted"] = Field(
        description="DataClassification tag"
    )


class ContainerImage(_Frozen):
    """The payment service's image: registry host, repository name and an explicit version tag."""

    registry: str = Field(description="registry host, e.g. 210987654321.dkr.ecr.us-east-1.amazonaws.com")
    name: str = Field(description="repository name, e.g. meridian-payment-service-dev")
    tag: str = Field(description="an explicit version, e.g. 1.4.2; never latest")

    @field_validator("registry")
    @classmethod
    def _registry(cls, value: str) -> str:
        if not _REGISTRY.match(value):
            raise ValueError(
                f"{value!r} is not a registry host; allowed: a host name like "
                "<account>.dkr.ecr.<region>.amazonaws.com, without scheme or path"
            )
        return value

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _IMAGE_NAME.match(value):
            raise ValueError(
                f"{value!r} is not a repository name; allowed: lower-case letters, digits, '.', '_', '-' and '/'"
            )
        return value

    @field_validator("tag")
    @classmethod
    def _tag(cls, value: str) -> str:
        if value.lower() == "latest":
            raise ValueError(
                "'latest' is not a version: it moves under running tasks and cannot be rolled back to; "
                "allowed: an explicit version tag like 1.4.2"
            )
        if not _IMAGE_TAG.match(value):
            raise ValueError(
                f"{value!r} is not an image tag; allowed: up to 128 letters, digits, '_', '.', '-', "
                "not starting with '.' or '-'"
            )
        return value


# The task sizes Fargate offers for the payment service (CPU units -> memory MiB allowed).
FARGATE_MEMORY_MIB = {
    256: (512, 1024, 2048),
    512: (1024, 2048, 3072, 4096),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
}


class Service(_Frozen):
    """The payment service on ECS Fargate (APP-2..APP-5)."""

    deploy: bool = Field(
        default=False,
        description="run the ECS service; off until the image exists in the project's repository",
    )
    image: ContainerImage
    cpu_units: int = Field(default=1024, description="Fargate task CPU (1024 = one vCPU, one uvicorn worker each)")
    memory_mib: int = Field(default=2048, description="Fargate task memory, a size Fargate offers for cpu_units")
    origin_header_version: int = Field(
        default=1,
        ge=1,
        description="raise by one to rotate the secret origin header CloudFront sends and the load balancers require",
    )

    @field_validator("cpu_units")
    @classmethod
    def _cpu(cls, value: int) -> int:
        if value not in FARGATE_MEMORY_MIB:
            allowed = ", ".join(str(cpu) for cpu in FARGATE_MEMORY_MIB)
            raise ValueError(f"{value} is not a Fargate task CPU size; allowed: {allowed}")
        return value

    @model_validator(mode="after")
    def _memory_fits_cpu(self) -> Service:
        allowed = FARGATE_MEMORY_MIB[self.cpu_units]
        if self.memory_mib not in allowed:
            raise ValueError(
                f"memory_mib {self.memory_mib} does not fit cpu_units {self.cpu_units}; "
                f"allowed: {allowed[0]} to {allowed[-1]} in the steps Fargate offers"
            )
        return self

    @property
    def vcpus(self) -> int:
        return max(1, self.cpu_units // 1024)


_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,63}$")
_HTTPS_URL = re.compile(r"^https://[A-Za-z0-9.-]+(:\d{1,5})?(/\S*)?$")
_PHONE = re.compile(r"^\+[1-9]\d{6,14}$")
# What each alert-subscription protocol's endpoint looks like, and how the error describes it.
SUBSCRIPTION_ENDPOINTS = {
    "email": (_EMAIL, "an e-mail address like oncall@example.org"),
    "https": (_HTTPS_URL, "an https:// URL of a webhook that confirms the subscription"),
    "sms": (_PHONE, "a phone number in E.164 form like +14155550100"),
}


class AlertSubscription(_Frozen):
    """Who hears the region's alarms and the budget: one SNS subscription of each alert topic."""

    protocol: Literal["email", "https", "sms"] = Field(description="SNS protocol; e-mail asks its owner to confirm")
    endpoint: str = Field(description="the address, URL or phone number of the protocol")

    @model_validator(mode="after")
    def _endpoint_fits_protocol(self) -> AlertSubscription:
        pattern, allowed = SUBSCRIPTION_ENDPOINTS[self.protocol]
        if not pattern.match(self.endpoint):
            raise ValueError(f"{self.protocol} endpoint {self.endpoint!r} is not one; allowed: {allowed}")
        return self


class AlarmThresholds(_Frozen):
    """When each CloudWatch alarm of a region fires (OPS-3); prod's are stricter than dev's.

    `STRICTER` says which way is stricter for each field: a lower limit fires earlier on a value that
    rises (CPU, latency, lag), a higher one on a value that falls (free storage).
    """

    alb_5xx_percent: float = Field(gt=0, le=100, description="5xx answers (load balancer and targets), % of requests")
    alb_p99_latency_ms: int = Field(ge=10, le=60000, description="99th percentile target response time, ms")
    ecs_cpu_percent: int = Field(ge=1, le=100, description="payment service CPU, % of its tasks' reservation")
    ecs_memory_percent: int = Field(ge=1, le=100, description="payment service memory, % of its tasks' reservation")
    db_cpu_percent: int = Field(ge=1, le=100, description="Aurora CPU of the busiest instance, %")
    db_free_local_storage_mib: int = Field(
        ge=256, description="Aurora FreeLocalStorage (temporary tables, logs) of the fullest instance, MiB"
    )
    db_replica_lag_ms: int = Field(ge=10, le=600000, description="Aurora replica lag within the region, ms")
    db_global_replication_lag_ms: int = Field(
        ge=100, le=3600000, description="Aurora global database lag behind the primary region (secondary only), ms"
    )
    cache_cpu_percent: int = Field(ge=1, le=100, description="Redis engine CPU of the busiest node, %")
    cache_memory_percent: int = Field(ge=1, le=100, description="Redis memory used of maxmemory, busiest node, %")
    lambda_errors: int = Field(ge=0, le=100000, description="errors of one function in 5 minutes")
    lambda_throttles: int = Field(ge=0, le=100000, description="throttled invocations of one function in 5 minutes")
    stream_iterator_age_ms: int = Field(ge=1000, le=86400000, description="age of the oldest unread payment event, ms")

    STRICTER: ClassVar[dict[str, Literal["lower", "higher"]]] = {"db_free_local_storage_mib": "higher"}

    def looser_than(self, other: AlarmThresholds) -> list[str]:
        """The fields in which these thresholds are not strictly stricter than `other`'s."""
        looser = []
        for name in type(self).model_fields:
            mine, theirs = getattr(self, name), getattr(other, name)
            stricter = mine > theirs if self.STRICTER.get(name) == "higher" else mine < theirs
            if not stricter:
                looser.append(name)
        return looser


class BudgetAlerts(_Frozen):
    """When the monthly budget notifies the alert topic (OPS-4), in % of capacity.monthly_budget_usd."""

    forecast_percent: tuple[int, ...] = Field(description="forecast month-end cost reaches these %")
    actual_percent: tuple[int, ...] = Field(description="actual cost so far reaches these %")

    @field_validator("forecast_percent", "actual_percent")
    @classmethod
    def _percentages(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value:
            raise ValueError("no percentage; allowed: one or more of 1 to 1000, like [80, 100]")
        for percent in value:
            if not 1 <= percent <= 1000:
                raise ValueError(f"{percent}% is not a budget threshold; allowed: 1 to 1000")
        if list(value) != sorted(set(value)):
            raise ValueError(f"{list(value)} repeats or is unordered; allowed: rising percentages, each once")
        return value

    @model_validator(mode="after")
    def _within_notification_quota(self) -> BudgetAlerts:
        count = len(self.forecast_percent) + len(self.actual_percent)
        if count > MAX_BUDGET_NOTIFICATIONS:
            raise ValueError(
                f"{count} budget notifications; allowed: at most {MAX_BUDGET_NOTIFICATIONS} "
                "forecast and actual percentages together (AWS Budgets' notifications per budget)"
            )
        return self


class Operations(_Frozen):
    """Who is told, and when: the alert topics' subscriptions, alarm thresholds, budget alerts (OPS-3, OPS-4)."""

    alert_subscriptions: tuple[AlertSubscription, ...] = Field(
        description="subscribers of each region's alert topic (alarms; the primary's also gets the budget)"
    )
    alarms: AlarmThresholds
    budget_alerts: BudgetAlerts

    @field_validator("alert_subscriptions")
    @classmethod
    def _someone_listens(cls, value: tuple[AlertSubscription, ...]) -> tuple[AlertSubscription, ...]:
        if not value:
            raise ValueError("no subscriber; allowed: one or more, or nobody hears an alarm")
        endpoints = [(s.protocol, s.endpoint) for s in value]
        repeated = sorted({e for p, e in endpoints if endpoints.count((p, e)) > 1})
        if repeated:
            raise ValueError(f"{', '.join(repeated)} subscribed twice; allowed: each endpoint once")
        return value


class EnvironmentConfig(_Frozen):
    """Everything that distinguishes one Meridian environment from another."""

    project: str = Field(description="project name, first part of every physical name")
    environment: Literal[ENVIRONMENTS]  # type: ignore[valid-type]
    accounts: Accounts
    regions: Regions
    dns: Dns
    edge: Edge
    identity: Identity
    capacity: Capacity
    retention: Retention
    database: Database
    functions: Functions
    backup: Backup
    deletion_protection: bool = Field(description="protect stateful resources from deletion (on in prod)")
    nat_mode: Literal["gateways", "instances"] = Field(
        default="gateways",
        description="private subnets' egress: a NAT gateway per AZ, or (cost mode) a NAT instance per AZ",
    )
    tags: Tags
    service: Service
    operations: Operations

    @field_validator("project")
    @classmethod
    def _project(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"{value!r} is not a project name; allowed: 3-22 lower-case letters, digits, hyphens")
        return value

    @model_validator(mode="after")
    def _certificates_for_both_regions(self) -> EnvironmentConfig:
        if self.dns.hosted_zone_id is None:
            # each region's certificate covers the names served there; CloudFront's is the one of us-east-1
            regions = tuple(dict.fromkeys((self.regions.primary.name, self.regions.secondary.name, CLOUDFRONT_REGION)))
            missing = [region for region in regions if region not in self.dns.certificate_arns]
            extra = sorted(set(self.dns.certificate_arns) - set(regions))
            if missing or extra:
                raise ValueError(
                    f"dns: without hosted_zone_id, certificate_arns must name exactly the regions "
                    f"{', '.join(regions)}; missing: {', '.join(missing) or 'none'}, unexpected: {', '.join(extra) or 'none'}"
                )
        return self

    @model_validator(mode="after")
    def _active_region_is_one_of_the_two(self) -> EnvironmentConfig:
        regions = (self.regions.primary.name, self.regions.secondary.name)
        if self.edge.active_region is not None and self.edge.active_region not in regions:
            raise ValueError(
                f"edge.active_region {self.edge.active_region!r} is neither region; allowed: {', '.join(regions)}"
            )
        return self

    @property
    def active_role(self) -> Literal["primary", "secondary"]:
        """Which regional stack answers first: the primary unless edge.active_region names the secondary."""
        return "secondary" if self.edge.active_region == self.regions.secondary.name else "primary"

    @model_validator(mode="after")
    def _deployed_image_is_the_projects_own(self) -> EnvironmentConfig:
        if not self.service.deploy:
            return self
        image = self.service.image
        registry = _ECR_REGISTRY.match(image.registry)
        regions = (self.regions.primary.name, self.regions.secondary.name)
        if not registry or registry["account"] != self.accounts.own or registry["region"] not in regions:
            raise ValueError(
                f"service.image.registry: {image.registry!r} is outside the project; allowed with service.deploy on: "
                f"{self.accounts.own}.dkr.ecr.<{' or '.join(regions)}>.amazonaws.com"
            )
        own = self.payment_service_repository
        if image.name != own:
            raise ValueError(
                f"service.image.name: {image.name!r} is not the project's repository; allowed with service.deploy on: {own!r}"
            )
        return self

    @property
    def payment_service_repository(self) -> str:
        """The ECR repository the project builds in each region for the payment service."""
        return f"{self.project}-payment-service-{self.environment}"

    def image_in(self, region: str) -> str:
        """The image a region's tasks run: the project's own image from that region's repository (CI pushes
        the same tag to both), so a region never pulls across regions; any other image as configured."""
        image = self.service.image
        registry = _ECR_REGISTRY.match(image.registry)
        if registry and registry["account"] == self.accounts.own and image.name == self.payment_service_repository:
            return f"{self.accounts.own}.dkr.ecr.{region}.amazonaws.com/{image.name}:{image.tag}"
        return f"{image.registry}/{image.name}:{image.tag}"

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"

    def default_tags(self) -> dict[str, str]:
        """The DC-8 tags every taggable resource carries (through provider default_tags)."""
        return {
            "Project": self.project,
            "Environment": self.environment,
            "Owner": self.tags.owner,
            "CostCenter": self.tags.cost_center,
            "DataClassification": self.tags.data_classification,
            "ManagedBy": "cdktf",
        }

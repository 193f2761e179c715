"""Typed environment configuration: the one shape every environment file must have.

Validated once, at the edge (config.load); stacks and constructs receive these frozen objects and
never read files or the environment themselves. Every field documents its meaning; values that
differ between environments live in config/environments/*.yaml, not here.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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

ENVIRONMENTS = ("dev", "staging", "prod")

# CloudWatch Logs accepts only these retention periods; a year count maps onto one of them.
LOG_RETENTION_DAYS_BY_YEARS = {1: 365, 2: 731, 3: 1096, 5: 1827, 6: 2192, 7: 2557, 8: 2922, 9: 3288, 10: 3653}

AccountId = str
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_NAME = re.compile(r"^[a-z][a-z0-9-]{1,20}[a-z0-9]$")
_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_ZONE_ID = re.compile(r"^Z[A-Z0-9]{4,31}$")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _account(value: str) -> str:
    if not _ACCOUNT_ID.match(value):
        raise ValueError(f"{value!r} is not an AWS account ID; allowed: exactly 12 digits")
    return value


class RegionNetwork(_Frozen):
    """One region's placement and address plan: three AZs, one subnet per tier per AZ."""

    name: Region = Field(description="AWS region, e.g. us-east-1")
    vpc_cidr: str = Field(description="VPC CIDR; every subnet below must lie inside it")
    public_subnets: tuple[str, str, str] = Field(description="public subnets (ALB, NAT), one per AZ")
    private_subnets: tuple[str, str, str] = Field(description="application subnets, one per AZ")
    database_subnets: tuple[str, str, str] = Field(description="isolated database subnets, one per AZ")

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


class Accounts(_Frozen):
    own: AccountId = Field(description="the account this environment deploys into")
    peers: dict[str, AccountId] = Field(
        default_factory=dict, description="accounts of the other environments, trusted by cross-account roles"
    )
    backup: AccountId | None = Field(default=None, description="central backup account; copies go there when set")

    @field_validator("own", "backup")
    @classmethod
    def _own_is_account(cls, value):
        return value if value is None else _account(value)

    @field_validator("peers")
    @classmethod
    def _peers_are_accounts(cls, value: dict[str, str]):
        for env, account in value.items():
            if env not in ENVIRONMENTS:
                raise ValueError(f"peer {env!r} is not an environment; allowed: {', '.join(ENVIRONMENTS)}")
            _account(account)
        return value

    @model_validator(mode="after")
    def _peers_are_other_accounts(self) -> Accounts:
        for env, account in self.peers.items():
            if account == self.own:
                raise ValueError(f"peers.{env} is this environment's own account {account}; allowed: other accounts")
        return self


class Dns(_Frozen):
    domain: str = Field(description="the environment's domain, e.g. dev.pay.example.org")
    hosted_zone_id: str | None = Field(
        default=None, description="existing public hosted zone for the domain; certificates validate by DNS in it"
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


class Tags(_Frozen):
    owner: str = Field(min_length=1, description="team that owns the environment (Owner tag)")
    cost_center: str = Field(pattern=r"^[A-Z]{2}-\d{3,6}$", description="CostCenter tag, e.g. CC-1042")
    data_classification: Literal["public", "internal", "confidential", "restricted"] = Field(
        description="DataClassification tag"
    )


class EnvironmentConfig(_Frozen):
    """Everything that distinguishes one Meridian environment from another."""

    project: str = Field(description="project name, first part of every physical name")
    environment: Literal[ENVIRONMENTS]  # type: ignore[valid-type]
    accounts: Accounts
    regions: Regions
    dns: Dns
    capacity: Capacity
    retention: Retention
    deletion_protection: bool = Field(description="protect stateful resources from deletion (on in prod)")
    tags: Tags

    @field_validator("project")
    @classmethod
    def _project(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError(f"{value!r} is not a project name; allowed: 3-22 lower-case letters, digits, hyphens")
        return value

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

"""ACM certificates: issued and validated by DNS in the environment's hosted zone (EDGE-5, SEC-9).

`DnsValidatedCertificate` requests the certificate, writes ACM's validation records into the zone
and waits for issuance (`aws_acm_certificate_validation`), so whatever uses `.arn` starts only
with an issued certificate: there is never a made-up ARN. The load balancer of each region
uses one in its own region; the CloudFront distribution needs one in CloudFront's home region,
which the edge stack gets with the `region` prop (provider 6.x's per-resource region, the same as
an aliased provider for these resources).

`ImportedCertificate` is the other way, only for a user's own configuration without a hosted
zone: an issued certificate's ARN, validated by config (config/model.py refuses a malformed one).

    certificate = DnsValidatedCertificate(self, "cert", DnsValidatedCertificateProps(
        domain_name=f"{region}.api.pay.example.org", alternative_names=("api.pay.example.org",),
        hosted_zone_id=config.dns.hosted_zone_id))
    LoadBalancer(..., certificate=certificate)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from cdktf import TerraformIterator, TerraformResourceLifecycle, Token
from cdktf_cdktf_provider_aws.acm_certificate import AcmCertificate
from cdktf_cdktf_provider_aws.acm_certificate_validation import AcmCertificateValidation
from cdktf_cdktf_provider_aws.route53_record import Route53Record
from constructs import Construct


class Certificate(Protocol):
    """What a listener or distribution needs: the ARN of an issued certificate."""

    @property
    def arn(self) -> str: ...


@dataclass(frozen=True)
class ImportedCertificate:
    """An issued certificate the user brings (configs without a hosted zone only)."""

    arn: str


@dataclass(frozen=True)
class DnsValidatedCertificateProps:
    domain_name: str
    hosted_zone_id: str  # the public zone that answers for every name below
    alternative_names: Sequence[str] = ()
    region: str | None = None  # None: the stack's region; CloudFront's home region for a distribution
    validation_ttl_seconds: int = 300

    def __post_init__(self) -> None:
        names = [self.domain_name, *self.alternative_names]
        if len(set(names)) != len(names):
            raise ValueError(f"certificate {self.domain_name}: names repeat in {names}")


class DnsValidatedCertificate(Construct):
    def __init__(self, scope: Construct, id_: str, props: DnsValidatedCertificateProps) -> None:
        super().__init__(scope, id_)
        self.domain_name = props.domain_name
        self._certificate = AcmCertificate(
            self,
            "certificate",
            domain_name=props.domain_name,
            subject_alternative_names=list(props.alternative_names) or None,
            validation_method="DNS",
            options={"certificate_transparency_logging_preference": "ENABLED"},
            region=props.region,
            # a replacement is issued before the old one is released, so listeners never lose theirs
            lifecycle=TerraformResourceLifecycle(create_before_destroy=True),
        )
        # One validation record per name, keyed by the names in configuration (known at plan, as
        # Terraform asks of for_each keys); each takes its record from what ACM answers for that name.
        # A name shared with another region's certificate gets the same record from ACM:
        # allow_overwrite lets both stacks hold it instead of failing on the second.
        names = TerraformIterator.from_list([props.domain_name, *props.alternative_names])
        options = self._certificate.fqn + ".domain_validation_options"
        records = Route53Record(
            self,
            "validation",
            for_each=names,
            zone_id=props.hosted_zone_id,
            name=_for_name(options, "resource_record_name"),
            type=_for_name(options, "resource_record_type"),
            records=[_for_name(options, "resource_record_value")],
            ttl=props.validation_ttl_seconds,
            allow_overwrite=True,
        )
        fqdns = TerraformIterator.from_resources(records).pluck_property("fqdn")
        self._validation = AcmCertificateValidation(
            self,
            "validation-complete",
            certificate_arn=self._certificate.arn,
            validation_record_fqdns=Token.as_list(fqdns),
            region=props.region,
        )

    @property
    def arn(self) -> str:
        """The ARN once the certificate is issued: consumers wait for validation through this reference."""
        return self._validation.certificate_arn


def _for_name(options: str, field: str) -> str:
    """ACM's answer for the record's own name: `one([for o in <options> : o.<field> if o.domain_name == each.key])`."""
    return f"${{one([for o in {options} : o.{field} if o.domain_name == each.key])}}"

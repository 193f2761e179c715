"""The mutual-TLS truststore of an API Gateway custom domain, in a versioned, encrypted bucket (EDGE-1).

How to use:

    truststore = Truststore(self, "truststore", TruststoreProps(
        naming=naming, account_id=account, region=region, key=keys.for_("s3"), pem=pem_text,
    ))
    truststore.uri, truststore.version   # the domain's mutual_tls_authentication, pinned to this upload

The PEM holds the certificates of the CAs whose client certificates the API accepts (public
certificates, no key). It is uploaded as one object; API Gateway reads the object version the
domain names, so a new PEM is a new version and the domain moves to it in the same apply, never
to whatever happens to be newest. A PEM that is not one or more CA certificates is refused here.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.s3_object import S3Object
from constructs import Construct

from constructs_lib.kms import CustomerKey
from constructs_lib.naming import Naming
from constructs_lib.secure_bucket import SecureBucket, SecureBucketProps

OBJECT_KEY = "truststore.pem"


def ca_certificate_count(pem: str) -> int:
    """How many CA certificates the PEM holds; ValueError when it holds anything else or nothing."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_verify_locations(cadata=pem)
    except (ssl.SSLError, ValueError) as error:
        raise ValueError(f"not a PEM bundle of X.509 certificates ({error})") from None
    stats = context.cert_store_stats()
    if stats["x509"] == 0 or stats["x509_ca"] != stats["x509"]:
        raise ValueError(f"{stats['x509'] - stats['x509_ca']} of {stats['x509']} certificates are not CA certificates")
    return stats["x509"]


@dataclass(frozen=True)
class TruststoreProps:
    naming: Naming
    account_id: str
    region: str
    key: CustomerKey  # the region's S3 key
    pem: str  # the CA certificates, PEM (config names the file; the stack passes its text)
    noncurrent_version_days: int = 365  # earlier truststores stay available for a rollback
    access_log_bucket: SecureBucket | None = None

    def __post_init__(self) -> None:
        try:
            ca_certificate_count(self.pem)
        except ValueError as error:
            raise ValueError(f"truststore: {error}; allowed: one or more CA certificates in PEM") from None


class Truststore(Construct):
    def __init__(self, scope: Construct, id_: str, props: TruststoreProps) -> None:
        super().__init__(scope, id_)
        self.bucket = SecureBucket(
            self,
            "bucket",
            SecureBucketProps(
                name=props.naming.bucket("truststore", props.account_id, props.region),
                key=props.key,
                noncurrent_version_days=props.noncurrent_version_days,
                access_log_bucket=props.access_log_bucket,
            ),
        )
        self._object = S3Object(
            self,
            "pem",
            bucket=self.bucket.name,
            key=OBJECT_KEY,
            content=props.pem,
            content_type="application/x-pem-file",
            server_side_encryption="aws:kms",
            kms_key_id=props.key.arn,
            # the bucket's versioning must be on before the upload, or there is no version to pin
            depends_on=[self.bucket.versioning],
        )

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket.name}/{OBJECT_KEY}"

    @property
    def version(self) -> str:
        return self._object.version_id

"""The payment service's image repository (APP-2, SEC-2, OPS-5).

Every push is scanned, tags are immutable (a version always names the same image, so a rollback
runs what ran before), images are encrypted with the region's ECR key, and a lifecycle policy
keeps a bounded number of images. Pullers get access by wiring:

    repository = ImageRepository(self, "images", ImageRepositoryProps(name, keys.for_("ecr"), region, account_id))
    repository.grant_pull(execution_role)   # the ECS execution role pulls the task's image
    repository.image("1.4.2")               # <account>.dkr.ecr.<region>.amazonaws.com/<name>:1.4.2
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.ecr_lifecycle_policy import EcrLifecyclePolicy
from cdktf_cdktf_provider_aws.ecr_repository import EcrRepository, EcrRepositoryEncryptionConfiguration
from constructs import Construct

from constructs_lib.kms import CustomerKey
from constructs_lib.policy import Statement, statement_id
from constructs_lib.service_role import ServiceRole

_PULL = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]


@dataclass(frozen=True)
class ImageRepositoryProps:
    name: str  # repository name, with the environment suffix
    key: CustomerKey  # the region's "ecr" key
    region: str
    account_id: str
    keep_images: int = 30  # tagged images kept; older ones expire (a month of daily releases to roll back to)
    untagged_days: int = 7  # untagged layers (failed or superseded pushes) expire after

    def __post_init__(self) -> None:
        if self.key.purpose != "ecr":
            raise ValueError(f"repository {self.name}: encrypted with the 'ecr' key, not the {self.key.purpose!r} key")
        if not 1 <= self.keep_images <= 1000:
            raise ValueError(f"repository {self.name}: keep_images {self.keep_images}; allowed: 1 to 1000")


class ImageRepository(Construct):
    def __init__(self, scope: Construct, id_: str, props: ImageRepositoryProps) -> None:
        super().__init__(scope, id_)
        self._props = props
        self._repository = EcrRepository(
            self,
            "repository",
            name=props.name,
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration={"scan_on_push": True},
            encryption_configuration=[
                EcrRepositoryEncryptionConfiguration(encryption_type="KMS", kms_key=props.key.arn)
            ],
        )
        EcrLifecyclePolicy(self, "lifecycle", repository=self._repository.name, policy=json.dumps(_lifecycle(props)))

    @property
    def name(self) -> str:
        return self._repository.name

    @property
    def arn(self) -> str:
        return self._repository.arn

    @property
    def url(self) -> str:
        """`<account>.dkr.ecr.<region>.amazonaws.com/<name>`, without a tag."""
        return self._repository.repository_url

    @property
    def registry(self) -> str:
        return f"{self._props.account_id}.dkr.ecr.{self._props.region}.amazonaws.com"

    def image(self, tag: str) -> str:
        """The image reference for one version; the repository name is the configured one, known at synth."""
        return f"{self.registry}/{self._props.name}:{tag}"

    def grant_pull(self, role: ServiceRole) -> None:
        """Pull this repository's images. The registry token is an account-level call AWS grants only on `*`;
        the image layers are decrypted by ECR itself through its grant on the key, so no KMS permission."""
        suffix = statement_id(self.node.id)
        role.add_to_policy(Statement(sid=f"PullImages{suffix}", actions=_PULL, resources=[self.arn]))
        role.add_to_policy(
            Statement(sid=f"RegistryAuthorization{suffix}", actions=["ecr:GetAuthorizationToken"], resources=["*"])
        )


def _lifecycle(props: ImageRepositoryProps) -> dict:
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": f"untagged images expire after {props.untagged_days} days",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": props.untagged_days,
                },
                "action": {"type": "expire"},
            },
            {
                "rulePriority": 2,
                "description": f"keep the {props.keep_images} newest images",
                "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": props.keep_images},
                "action": {"type": "expire"},
            },
        ]
    }

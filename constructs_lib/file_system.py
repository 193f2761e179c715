"""EFS for the payment service's shared files: encrypted, in every private subnet, one non-root access point (DATA-6).

How to use:

    files = SharedFileSystem(self, "files", SharedFileSystemProps(..., security_tier=efs_tier))
    efs_tier.allow_from(app_tier, files.port, "Payment service to EFS (NFS)")
    backup.protect(files.arn)
    files.mount("/mnt/documents")     # EfsMount for the task definition (IAM authorization, TLS)
    files.id, files.arn, files.access_point_id

The access point pins every client to the service's own user (the image's UID/GID 1000, never
root) and to its own directory, created with that owner; files not read for 30 days move to
Infrequent Access and come back on first access.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.efs_access_point import (
    EfsAccessPoint,
    EfsAccessPointPosixUser,
    EfsAccessPointRootDirectory,
    EfsAccessPointRootDirectoryCreationInfo,
)
from cdktf_cdktf_provider_aws.efs_file_system import EfsFileSystem, EfsFileSystemLifecyclePolicy
from cdktf_cdktf_provider_aws.efs_mount_target import EfsMountTarget
from constructs import Construct

from constructs_lib.fargate_task import EfsMount
from constructs_lib.kms import CustomerKey
from constructs_lib.security_tier import SecurityTier

PORT = 2049  # NFS


@dataclass(frozen=True)
class SharedFileSystemProps:
    name: str  # with the environment suffix
    subnet_ids: Sequence[str]  # the private subnets: one mount target each
    security_tier: SecurityTier  # the EFS tier; the caller admits its clients
    key: CustomerKey  # the region's EFS key
    owner_uid: int = 1000  # the payment service image's user (payment_service/Dockerfile)
    owner_gid: int = 1000
    directory: str = "/payments"
    throughput_mode: str = "elastic"  # pays for what is used; "bursting" scales with the stored size

    def __post_init__(self) -> None:
        if self.key.purpose != "efs":
            raise ValueError(f"file system {self.name}: encrypted with the 'efs' key, not the {self.key.purpose!r} key")
        if self.owner_uid == 0 or self.owner_gid == 0:
            raise ValueError(f"file system {self.name}: the access point's user is root; allowed: a non-root UID/GID")
        if self.throughput_mode not in ("elastic", "bursting"):
            raise ValueError(f"file system {self.name}: {self.throughput_mode!r}; allowed: elastic, bursting")


class SharedFileSystem(Construct):
    def __init__(self, scope: Construct, id_: str, props: SharedFileSystemProps) -> None:
        super().__init__(scope, id_)
        self.port = PORT
        self._file_system = EfsFileSystem(
            self,
            "file-system",
            creation_token=props.name,
            encrypted=True,
            kms_key_id=props.key.arn,
            performance_mode="generalPurpose",
            throughput_mode=props.throughput_mode,
            lifecycle_policy=[
                EfsFileSystemLifecyclePolicy(transition_to_ia="AFTER_30_DAYS"),
                EfsFileSystemLifecyclePolicy(transition_to_primary_storage_class="AFTER_1_ACCESS"),
            ],
            tags={"Name": props.name},
        )
        self.id: str = self._file_system.id
        self.arn: str = self._file_system.arn
        self.mount_targets = [
            EfsMountTarget(
                self,
                f"mount-target-{index}",
                file_system_id=self.id,
                subnet_id=subnet_id,
                security_groups=[props.security_tier.id],
            )
            for index, subnet_id in enumerate(props.subnet_ids, 1)
        ]
        self._access_point = EfsAccessPoint(
            self,
            "access-point",
            file_system_id=self.id,
            posix_user=EfsAccessPointPosixUser(uid=props.owner_uid, gid=props.owner_gid),
            root_directory=EfsAccessPointRootDirectory(
                path=props.directory,
                creation_info=EfsAccessPointRootDirectoryCreationInfo(
                    owner_uid=props.owner_uid, owner_gid=props.owner_gid, permissions="750"
                ),
            ),
            tags={"Name": props.name},
        )
        self.access_point_id: str = self._access_point.id
        self.access_point_arn: str = self._access_point.arn

    def mount(self, container_path: str, *, read_only: bool = False) -> EfsMount:
        """How a task mounts the access point (the task definition's EFS volume)."""
        return EfsMount(self.id, self.arn, self.access_point_id, self.access_point_arn, container_path, read_only)

"""Arguments and resources hashicorp/aws 6.25.0 documents as deprecated.

The CDKTF bindings carry no deprecation marks (checked: the jsii assembly's docs have none) and
the offline provider's generated schema therefore cannot warn; this table, taken from the
provider's documentation for 6.x, is what DC-9 checks the synthesized stacks against.
"""

DEPRECATED_ARGUMENTS: dict[str, set[str]] = {
    # inline bucket sub-blocks: each has its own aws_s3_bucket_* resource
    "aws_s3_bucket": {
        "acceleration_status",
        "acl",
        "cors_rule",
        "grant",
        "lifecycle_rule",
        "logging",
        "object_lock_configuration",
        "policy",
        "replication_configuration",
        "request_payer",
        "server_side_encryption_configuration",
        "versioning",
        "website",
    },
    "aws_iam_role": {"inline_policy", "managed_policy_arns"},
    "aws_flow_log": {"log_group_name"},
    "aws_eip": {"vpc"},
    "aws_api_gateway_deployment": {"stage_name", "stage_description", "canary_settings"},
    "aws_ssm_parameter": {"overwrite"},
    "aws_launch_template": {"elastic_gpu_specifications", "elastic_inference_accelerator"},
    "aws_instance": {"cpu_core_count", "cpu_threads_per_core"},
}

DEPRECATED_DATA_ATTRIBUTES: dict[str, set[str]] = {
    # read in expressions: aws_region.name became aws_region.region in 6.0
    "aws_region": {"name"},
}

DEPRECATED_RESOURCES: set[str] = {
    "aws_iam_policy_attachment",  # exclusive attachment that fights every other attachment
    "aws_s3_bucket_object",  # replaced by aws_s3_object
    "aws_db_security_group",
    "aws_elasticache_security_group",
    "aws_redshift_security_group",
}

"""What a reviewer must look at twice: resource types that hold data, and the security surface.

Both tables are by Terraform resource type. A type that holds data loses it (or the means to read
it, for keys and secrets) when it is destroyed or replaced; a security-surface type decides who or
what may reach something, so any change to it is shown with the names of the changed arguments.
"""

from __future__ import annotations

# type -> what is lost with it
DATA_HOLDING: dict[str, str] = {
    "aws_rds_cluster": "database cluster",
    "aws_rds_global_cluster": "global database",
    "aws_rds_cluster_instance": "database instance",
    "aws_db_instance": "database instance",
    "aws_elasticache_replication_group": "cache",
    "aws_elasticache_cluster": "cache",
    "aws_efs_file_system": "file system",
    "aws_s3_bucket": "bucket",
    "aws_dynamodb_table": "table",
    "aws_kinesis_stream": "stream",
    "aws_kms_key": "key (data encrypted with it becomes unreadable)",
    "aws_secretsmanager_secret": "secret",
    "aws_secretsmanager_secret_version": "secret value",
    "aws_backup_vault": "backup vault",
    "aws_ecr_repository": "image repository",
    "aws_cloudwatch_log_group": "log group (audit records)",
    "aws_sqs_queue": "queue",
}

# type -> what it guards
SECURITY_SURFACE: dict[str, str] = {
    "aws_iam_role": "IAM role",
    "aws_iam_policy": "IAM policy",
    "aws_iam_role_policy": "IAM inline policy",
    "aws_iam_role_policy_attachment": "IAM policy attachment",
    "aws_iam_user_policy_attachment": "IAM policy attachment",
    "aws_iam_instance_profile": "instance profile",
    "aws_security_group": "security group",
    "aws_security_group_rule": "security group rule",
    "aws_vpc_security_group_ingress_rule": "security group ingress rule",
    "aws_vpc_security_group_egress_rule": "security group egress rule",
    "aws_default_security_group": "default security group",
    "aws_network_acl": "network ACL",
    "aws_network_acl_rule": "network ACL rule",
    "aws_route": "route",
    "aws_route_table": "route table",
    "aws_kms_key": "key policy",
    "aws_kms_key_policy": "key policy",
    "aws_kms_grant": "key grant",
    "aws_s3_bucket_policy": "bucket policy",
    "aws_s3_bucket_public_access_block": "bucket public access block",
    "aws_sns_topic_policy": "topic policy",
    "aws_sqs_queue_policy": "queue policy",
    "aws_secretsmanager_secret_policy": "secret policy",
    "aws_lambda_permission": "function permission",
    "aws_wafv2_web_acl": "web ACL",
    "aws_wafv2_web_acl_association": "web ACL association",
    "aws_api_gateway_authorizer": "API authorizer",
    "aws_api_gateway_method": "API method authorization",
    "aws_lb_listener": "load balancer listener",
}

# Types that are on the surface through some arguments only: a change elsewhere is not shown there.
SECURITY_ARGUMENTS: dict[str, frozenset[str]] = {
    "aws_kms_key": frozenset({"policy", "bypass_policy_lockout_safety_check"}),
    "aws_lb_listener": frozenset(
        {"certificate_arn", "default_action", "mutual_authentication", "protocol", "ssl_policy"}
    ),
}

# Values that make a rule or policy reach anyone; reported as a marker, never as the value itself.
ANY_ADDRESS = ("0.0.0.0/0", "::/0")
ANY_PRINCIPAL = ('"Principal":"*"', '"AWS":"*"')

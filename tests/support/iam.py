"""IAM facts the SEC-5 tests share."""

from __future__ import annotations

# Actions AWS authorizes only on "*" (no resource-level permissions), with who needs them: the one
# exception to "no action on *" in every role's policy.
ONLY_ON_EVERYTHING = frozenset(
    {
        "ecr:GetAuthorizationToken",  # ECS execution role: the registry login token
        "xray:PutTraceSegments",  # tracing of the service and the Lambda functions
        "xray:PutTelemetryRecords",
        "ec2:DescribeNetworkInterfaces",  # a Lambda function in the VPC (rotation) finds its interfaces
        "ec2:DescribeSubnets",
        "secretsmanager:GetRandomPassword",  # rotation: the new password comes from Secrets Manager
    }
)

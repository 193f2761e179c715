"""SEC-9 / DC-2: the exact TLS-only statement every S3 bucket policy must carry."""

from __future__ import annotations

import json


def tls_statement(bucket_arn: str) -> dict:
    """Deny every S3 action by anyone on the bucket and its objects unless the request uses TLS."""
    return {
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def tls_problems(stack_name: str, stack: dict) -> list[str]:
    """Every bucket of the stack has exactly one policy, holding the exact TLS-only statement."""
    resources = stack.get("resource", {})
    problems = []
    for logical in sorted(resources.get("aws_s3_bucket", {})):
        reference = f"${{aws_s3_bucket.{logical}.id}}"
        policies = [b for b in resources.get("aws_s3_bucket_policy", {}).values() if b.get("bucket") == reference]
        if len(policies) != 1:
            problems.append(f"{stack_name}: aws_s3_bucket.{logical} has {len(policies)} bucket policies")
            continue
        wanted = tls_statement(f"${{aws_s3_bucket.{logical}.arn}}")
        statements = [
            {k: v for k, v in s.items() if k != "Sid"} for s in json.loads(policies[0]["policy"])["Statement"]
        ]
        if wanted not in statements:
            problems.append(f"{stack_name}: aws_s3_bucket.{logical} lacks the TLS-only statement {wanted}")
    return problems

# Terraform's own test framework over the synthesized bootstrap stack (DC-2, DC-4).
# tests/plan/test_terraform_test.py copies this file into each environment's working copy and
# passes the environment and its configured primary region in with -var.

run "plan_names_the_backend_for_this_environment" {
  command = plan

  assert {
    condition     = startswith(output.state_bucket, "meridian-tfstate-") && endswith(output.state_bucket, "-${var.environment}")
    error_message = "the state bucket name must carry the project prefix and the environment suffix"
  }

  assert {
    condition     = output.state_lock_table == "meridian-tfstate-lock-${var.environment}"
    error_message = "the lock table must be the one every other stack's backend names"
  }
}

run "apply_yields_a_kms_key_arn_in_the_state_region" {
  command = apply

  assert {
    condition     = can(regex("^arn:aws:kms:${var.region}:[0-9]{12}:key/", output.state_key_arn))
    error_message = "the state key output must be a KMS key ARN in the configured primary region"
  }
}

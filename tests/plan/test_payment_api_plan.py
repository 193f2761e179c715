"""DC-4 for the payment API construct before a stack composes it (EDGE-1): Terraform validates and
plans it, with its truststore, user pools and API Gateway account, on the offline provider."""

from __future__ import annotations

import pytest

from tools.tfplan.workspace import prepare


@pytest.fixture(scope="module")
def api_plan(tmp_path_factory):
    from cdktf import App, TerraformStack
    from cdktf_cdktf_provider_aws.provider import AwsProvider

    from constructs_lib.payment_api import PaymentApi
    from tests.constructs.test_payment_api import _api_props
    from tests.support.constructs import TEST_REGION

    root = tmp_path_factory.mktemp("payment-api")
    app = App(outdir=str(root / "out"))
    stack = TerraformStack(app, "payment-api")
    AwsProvider(stack, "aws", region=TEST_REGION)
    PaymentApi(stack, "api", _api_props(stack))
    app.synth()
    (workspace,) = prepare(root / "out", root / "work", provider="offline")
    workspace.init()
    return workspace.validate(), workspace.plan()


@pytest.mark.req("EDGE-1")
@pytest.mark.req("DC-4")
def test_the_payment_api_validates_cleanly_and_plans(api_plan):
    validation, plan = api_plan
    assert validation["valid"] is True and validation["warning_count"] == 0, validation["diagnostics"]
    created = plan.count_by_type()
    assert created["aws_api_gateway_method"] == 6 and created["aws_api_gateway_authorizer"] == 2
    assert created["aws_api_gateway_domain_name"] == created["aws_api_gateway_base_path_mapping"] == 1
    assert created["aws_s3_object"] == 1 and created["aws_wafv2_web_acl_association"] == 1
    domain = plan.only_created("aws_api_gateway_domain_name")
    assert domain.after_unknown["mutual_tls_authentication"][0]["truststore_version"] is True  # known after upload

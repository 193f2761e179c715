"""QA-1, EDGE-2: one Cognito user pool per population, locked down, with what token checks need."""

import pytest

from constructs_lib.user_pool import UserPool, UserPoolProps
from tests.support.constructs import TEST_NAMING, synth_construct


def _pool(mfa="required", password_min_length=12, deletion_protection=True):
    def build(stack):
        UserPool(
            stack,
            "merchants",
            UserPoolProps(
                naming=TEST_NAMING,
                population="merchants",
                mfa=mfa,
                password_min_length=password_min_length,
                deletion_protection=deletion_protection,
            ),
        )

    return synth_construct(build)


@pytest.fixture(scope="module")
def merchants():
    return _pool()


@pytest.mark.req("EDGE-2")
@pytest.mark.req("QA-1")
def test_passwords_need_twelve_characters_of_every_class(merchants):
    # GIVEN the merchants pool WHEN synthesized THEN passwords need length and all four classes
    assert merchants.only("aws_cognito_user_pool")["name"] == "meridian-merchants-test"
    password = merchants.only("aws_cognito_user_pool")["password_policy"]
    assert password["minimum_length"] == 12
    assert all(password[f"require_{kind}"] is True for kind in ("lowercase", "uppercase", "numbers", "symbols"))
    assert password["temporary_password_validity_days"] == 1


@pytest.mark.req("EDGE-2")
@pytest.mark.req("QA-1")
def test_mfa_comes_from_config_and_is_totp():
    required = _pool(mfa="required").only("aws_cognito_user_pool")
    optional = _pool(mfa="optional").only("aws_cognito_user_pool")
    assert required["mfa_configuration"] == "ON" and optional["mfa_configuration"] == "OPTIONAL"
    assert required["software_token_mfa_configuration"] == {"enabled": True}
    assert "sms_configuration" not in required


@pytest.mark.req("EDGE-2")
@pytest.mark.req("QA-1")
def test_advanced_security_is_enforced_on_the_tier_that_offers_it(merchants):
    pool = merchants.only("aws_cognito_user_pool")
    assert pool["user_pool_add_ons"] == {"advanced_security_mode": "ENFORCED"}
    assert pool["user_pool_tier"] == "PLUS"


@pytest.mark.req("EDGE-2")
@pytest.mark.req("QA-1")
def test_only_administrators_create_users_and_nobody_gets_aws_credentials(merchants):
    pool = merchants.only("aws_cognito_user_pool")
    assert pool["admin_create_user_config"]["allow_admin_create_user_only"] is True
    assert pool["deletion_protection"] == "ACTIVE"
    assert _pool(deletion_protection=False).only("aws_cognito_user_pool")["deletion_protection"] == "INACTIVE"
    # no identity pool: no identities at all, so no unauthenticated ones
    assert merchants.resources("aws_cognito_identity_pool") == {}


@pytest.mark.req("EDGE-2")
@pytest.mark.req("QA-1")
def test_the_app_client_keeps_no_secret_in_state_and_signs_in_with_srp(merchants):
    client = merchants.only("aws_cognito_user_pool_client")
    assert client["name"] == "meridian-merchants-app-test"
    assert client["generate_secret"] is False
    assert client["explicit_auth_flows"] == ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    assert client["prevent_user_existence_errors"] == "ENABLED" and client["enable_token_revocation"] is True
    assert client["user_pool_id"].startswith("${aws_cognito_user_pool.merchants_pool_")
    assert (client["access_token_validity"], client["token_validity_units"][0]["access_token"]) == (60, "minutes")


@pytest.mark.req("EDGE-2")
@pytest.mark.req("QA-1")
def test_the_pool_exposes_issuer_jwks_and_audience_for_token_checks():
    # GIVEN the pool's public face read into outputs, as a stack does
    def build(stack):
        from cdktf import TerraformOutput

        pool = UserPool(stack, "customers", UserPoolProps(naming=TEST_NAMING, population="customers", mfa="required"))
        exposed = {"issuer": pool.issuer_url, "jwks": pool.jwks_url, "client": pool.client_id, "arn": pool.arn}
        for name, value in {**exposed, "id": pool.id}.items():
            TerraformOutput(stack, name, value=value)

    outputs = {name: body["value"] for name, body in synth_construct(build)["output"].items()}
    # THEN the issuer is the pool's endpoint over HTTPS, the JWKS beside it, the audience the app client
    endpoint = "${aws_cognito_user_pool.customers_pool_"
    assert outputs["issuer"].startswith(f"https://{endpoint}") and outputs["issuer"].endswith(".endpoint}")
    assert outputs["jwks"] == outputs["issuer"] + "/.well-known/jwks.json"
    assert outputs["client"].startswith("${aws_cognito_user_pool_client.customers_client_")
    assert outputs["client"].endswith(".id}")
    assert outputs["arn"].endswith(".arn}") and outputs["id"].endswith(".id}")


@pytest.mark.req("EDGE-2")
@pytest.mark.parametrize(
    "settings,words",
    [
        ({"password_min_length": 11}, "password_min_length 11 is too short; allowed: 12 or more"),
        ({"mfa": "off"}, "mfa 'off' is unknown; allowed: required, optional"),
    ],
)
def test_a_weaker_pool_is_refused(settings, words):
    with pytest.raises(ValueError, match=words):
        UserPoolProps(**{"naming": TEST_NAMING, "population": "p", "mfa": "required", **settings})


@pytest.mark.req("EDGE-2")
@pytest.mark.req("QA-1")
def test_the_merchant_id_claim_exists_and_nobody_can_rewrite_it():
    # GIVEN a pool with the attribute the payment service identifies merchants by (custom:merchant_id)
    synth = synth_construct(
        lambda stack: UserPool(
            stack,
            "merchants",
            UserPoolProps(
                naming=TEST_NAMING, population="merchants", mfa="required", immutable_attributes=("merchant_id",)
            ),
        )
    )
    # THEN the pool declares it as a string an administrator sets once: a user cannot become another merchant
    (attribute,) = synth.only("aws_cognito_user_pool")["schema"]
    assert attribute["name"] == "merchant_id" and attribute["attribute_data_type"] == "String"
    assert attribute["mutable"] is False and attribute["developer_only_attribute"] is False
    assert attribute["string_attribute_constraints"] == {"min_length": "1", "max_length": "64"}
    # AND a pool without such attributes declares none
    assert "schema" not in _pool().only("aws_cognito_user_pool")

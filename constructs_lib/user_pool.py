"""One Cognito user pool for one user population, with the app client its people sign in through (EDGE-2).

How to use:

    pool = UserPool(self, "merchants", UserPoolProps(
        naming=naming, population="merchants", mfa="required", password_min_length=12,
        deletion_protection=config.deletion_protection,
    ))                            # the pool is meridian-merchants-<env>, its client meridian-merchants-app-<env>
    pool.arn                      # an API Gateway COGNITO_USER_POOLS authorizer's provider ARN
    pool.issuer_url, pool.jwks_url, pool.client_id   # what a service checks a token against (iss, keys, aud)

A population's immutable attributes (merchants: `merchant_id`, the claim `custom:merchant_id` the
payment service identifies a merchant by) are set by the administrator who creates the user and
can never be changed, by the user or anyone else.

Passwords need every character class and at least 12 characters; MFA is TOTP (required or optional
per config; no SMS, which would need an SNS role and brings SIM-swap risk); advanced security
(compromised-credential and adaptive-authentication checks) is enforced, which needs the PLUS tier;
people are created by administrators, never by self sign-up, and a wrong user name is answered like
a wrong password. The app client has no client secret: a generated secret would sit in Terraform
state, and sign-in uses SRP, so the password never leaves the client either. There is no identity
pool: nobody, signed in or not, is handed AWS credentials, so there are no unauthenticated identities.
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cognito_user_pool import (
    CognitoUserPool,
    CognitoUserPoolAccountRecoverySetting,
    CognitoUserPoolAccountRecoverySettingRecoveryMechanism,
    CognitoUserPoolAdminCreateUserConfig,
    CognitoUserPoolPasswordPolicy,
    CognitoUserPoolSchema,
    CognitoUserPoolSchemaStringAttributeConstraints,
    CognitoUserPoolSoftwareTokenMfaConfiguration,
    CognitoUserPoolUserPoolAddOns,
)
from cdktf_cdktf_provider_aws.cognito_user_pool_client import (
    CognitoUserPoolClient,
    CognitoUserPoolClientTokenValidityUnits,
)
from constructs import Construct

from constructs_lib.naming import Naming

MINIMUM_PASSWORD_LENGTH = 12
MFA_MODES = {"required": "ON", "optional": "OPTIONAL"}  # config value -> Cognito's mfa_configuration


@dataclass(frozen=True)
class UserPoolProps:
    naming: Naming  # the pool is named for its population, with the environment suffix
    population: str  # who signs in here: merchants, customers, ...
    mfa: str  # "required" or "optional" (config identity.mfa)
    password_min_length: int = MINIMUM_PASSWORD_LENGTH  # 12 or more
    deletion_protection: bool = True  # a deleted pool takes every account with it
    access_token_minutes: int = 60  # short-lived: a stolen token is useful for an hour at most
    refresh_token_days: int = 1  # a signed-in session lasts a working day, then MFA again
    # custom attributes (tokens carry them as custom:<name>) that an administrator sets when creating
    # the user and nobody changes later: a user who could rewrite one could act as someone else
    immutable_attributes: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.naming.name(self.population)

    def __post_init__(self) -> None:
        if self.mfa not in MFA_MODES:
            raise ValueError(f"user pool {self.name}: mfa {self.mfa!r} is unknown; allowed: {', '.join(MFA_MODES)}")
        if self.password_min_length < MINIMUM_PASSWORD_LENGTH:
            raise ValueError(
                f"user pool {self.name}: password_min_length {self.password_min_length} is too short; "
                f"allowed: {MINIMUM_PASSWORD_LENGTH} or more"
            )


class UserPool(Construct):
    def __init__(self, scope: Construct, id_: str, props: UserPoolProps) -> None:
        super().__init__(scope, id_)
        self.population = props.population
        self._pool = CognitoUserPool(
            self,
            "pool",
            name=props.name,
            user_pool_tier="PLUS",  # advanced security (threat protection) exists only on PLUS
            deletion_protection="ACTIVE" if props.deletion_protection else "INACTIVE",
            username_attributes=["email"],
            auto_verified_attributes=["email"],
            admin_create_user_config=CognitoUserPoolAdminCreateUserConfig(allow_admin_create_user_only=True),
            account_recovery_setting=CognitoUserPoolAccountRecoverySetting(
                recovery_mechanism=[
                    CognitoUserPoolAccountRecoverySettingRecoveryMechanism(name="verified_email", priority=1)
                ]
            ),
            password_policy=CognitoUserPoolPasswordPolicy(
                minimum_length=props.password_min_length,
                require_lowercase=True,
                require_uppercase=True,
                require_numbers=True,
                require_symbols=True,
                temporary_password_validity_days=1,
            ),
            mfa_configuration=MFA_MODES[props.mfa],
            software_token_mfa_configuration=CognitoUserPoolSoftwareTokenMfaConfiguration(enabled=True),
            user_pool_add_ons=CognitoUserPoolUserPoolAddOns(advanced_security_mode="ENFORCED"),
            schema=[
                CognitoUserPoolSchema(
                    name=attribute,
                    attribute_data_type="String",
                    mutable=False,
                    developer_only_attribute=False,
                    string_attribute_constraints=CognitoUserPoolSchemaStringAttributeConstraints(
                        min_length="1", max_length="64"
                    ),
                )
                for attribute in props.immutable_attributes
            ]
            or None,
        )
        self._id: str = self._pool.id  # read once: each read is a round trip to the jsii runtime
        self._arn: str = self._pool.arn
        self._endpoint: str = self._pool.endpoint
        self._client = CognitoUserPoolClient(
            self,
            "client",
            name=props.naming.name(props.population, "app"),
            user_pool_id=self._id,
            generate_secret=False,
            explicit_auth_flows=["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            prevent_user_existence_errors="ENABLED",
            enable_token_revocation=True,
            access_token_validity=props.access_token_minutes,
            id_token_validity=props.access_token_minutes,
            refresh_token_validity=props.refresh_token_days,
            token_validity_units=[
                CognitoUserPoolClientTokenValidityUnits(
                    access_token="minutes", id_token="minutes", refresh_token="days"
                )
            ],
        )
        self._client_id: str = self._client.id

    @property
    def id(self) -> str:
        return self._id

    @property
    def arn(self) -> str:
        return self._arn

    @property
    def issuer_url(self) -> str:
        """The tokens' `iss` claim: https://cognito-idp.<region>.amazonaws.com/<pool id>."""
        return f"https://{self._endpoint}"

    @property
    def jwks_url(self) -> str:
        """Where the public keys that sign this pool's tokens are published."""
        return f"{self.issuer_url}/.well-known/jwks.json"

    @property
    def client_id(self) -> str:
        """The app client: an ID token's `aud` claim, an access token's `client_id` claim."""
        return self._client_id

"""Configuration from the environment: local runs need nothing, anything else gets TLS (APP-1)."""

import json
import ssl

import certifi
import pytest
from redis.asyncio.connection import SSLConnection

from payment_service.cache import redis_client
from payment_service.config import (
    RDS_CA_BUNDLE,
    ConfigError,
    DatabaseSettings,
    DbCredentials,
    Settings,
    effective_sslmode,
)
from payment_service.credentials import credentials_from_secret, redis_token_from_secret
from payment_service.database import ssl_for

pytestmark = pytest.mark.req("APP-1")
LOCAL = {"DATABASE_URL": "postgresql://app:pw@127.0.0.1:5432/payments"}
REMOTE_HOST = "writer.cluster-abc.eu-west-1.rds.amazonaws.com"
DEPLOYED = {
    "DB_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:app",
    "AWS_REGION": "eu-west-1",
    "REDIS_URL": "rediss://master.cache.example.internal:6379/0",
    "STARTUP_DELAY_SECONDS": "30",
}


def database_settings(**env) -> DatabaseSettings:
    return Settings.from_env({**DEPLOYED, **env}).database


def credentials(host: str) -> DbCredentials:
    return DbCredentials(user="app", password="pw", host=host, port=5432, database="payments")


def test_a_local_run_needs_only_a_database_url():
    settings = Settings.from_env(LOCAL)
    assert settings.redis.url == "redis://127.0.0.1:6379/0"
    assert settings.startup_delay_seconds == 0.0
    assert ssl_for(credentials("127.0.0.1"), settings.database) is False


def test_the_deployed_configuration_reads_the_secret_and_the_startup_delay():
    settings = Settings.from_env(DEPLOYED)
    assert settings.database.secret_arn == DEPLOYED["DB_SECRET_ARN"]
    assert settings.startup_delay_seconds == 30.0
    assert settings.redis.tls


@pytest.mark.parametrize(
    "env", [{}, {"DB_SSLMODE": "auto"}, {"DB_SSLMODE": "verify-full"}], ids=["unset", "auto", "verify-full"]
)
def test_postgres_beyond_loopback_gets_verified_tls_by_default(env):
    assert effective_sslmode(REMOTE_HOST, database_settings(**env)) == "verify-full"


def test_verify_full_checks_certificate_and_host_against_the_shipped_rds_bundle_or_another():
    default = ssl_for(credentials(REMOTE_HOST), database_settings())
    other = ssl_for(credentials(REMOTE_HOST), database_settings(DB_SSL_ROOT_CERT=certifi.where()))
    for context in (default, other):
        assert (context.verify_mode, context.check_hostname) == (ssl.CERT_REQUIRED, True)
        assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    subjects = [dict(name[0] for name in certificate["subject"]) for certificate in default.get_ca_certs()]
    assert len(subjects) > 100 and all(subject["organizationalUnitName"] == "Amazon RDS" for subject in subjects)
    assert database_settings().ssl_root_cert == str(RDS_CA_BUNDLE)


@pytest.mark.parametrize("mode", ["require", "disable"])
def test_only_loopback_may_skip_verifying_the_server(mode):
    local = ssl_for(credentials("127.0.0.1"), Settings.from_env({**LOCAL, "DB_SSLMODE": mode}).database)
    assert local is False or (local.verify_mode, local.check_hostname) == (ssl.CERT_NONE, False)
    with pytest.raises(ConfigError, match=f"DB_SSLMODE={mode} does not verify the server"):
        effective_sslmode(REMOTE_HOST, database_settings(DB_SSLMODE=mode))


def test_redis_over_rediss_uses_tls_and_the_auth_token():
    client = redis_client(Settings.from_env(DEPLOYED).redis, "token")
    connection = client.connection_pool.make_connection()
    assert isinstance(connection, SSLConnection)
    assert (connection.ssl_context.cert_reqs, connection.ssl_context.check_hostname) == (ssl.CERT_REQUIRED, True)
    assert connection.password == "token"


@pytest.mark.parametrize(
    "env, named",
    [
        ({"DB_SECRET_ARN": "", "DATABASE_URL": ""}, "DB_SECRET_ARN"),
        (
            {
                "DB_SECRET_ARN": "",
                "DATABASE_URL": f"postgresql://app:pw@{REMOTE_HOST}/payments",
                "DB_SSLMODE": "disable",
            },
            "DB_SSLMODE",
        ),
        ({"DB_SECRET_ARN": "", "DATABASE_URL": "mysql://app@127.0.0.1/payments"}, "DATABASE_URL"),
        ({"DB_SECRET_ARN": "", "DATABASE_URL": "postgresql://app@127.0.0.1/p?sslmode=disable"}, "DATABASE_URL"),
        ({"DB_SSLMODE": "prefer"}, "DB_SSLMODE"),
        ({"DB_SSL_ROOT_CERT": "/nonexistent/ca.pem"}, "DB_SSL_ROOT_CERT"),
        ({"REDIS_URL": "redis://master.cache.example.internal:6379/0"}, "REDIS_URL"),
        ({"REDIS_URL": "rediss://:token@master.cache.example.internal:6379/0"}, "REDIS_URL"),
        ({"REDIS_URL": "http://cache:6379"}, "REDIS_URL"),
        ({"STARTUP_DELAY_SECONDS": "3600"}, "STARTUP_DELAY_SECONDS"),
        ({"STARTUP_DELAY_SECONDS": "soon"}, "STARTUP_DELAY_SECONDS"),
        ({"DB_POOL_MIN": "20", "DB_POOL_MAX": "5"}, "DB_POOL_MIN"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
    ],
    ids=[
        "no-database",
        "clear-text-remote",
        "not-postgres",
        "query-in-url",
        "unknown-sslmode",
        "ca-bundle-missing",
        "clear-text-redis",
        "password-in-redis-url",
        "not-redis",
        "delay-too-long",
        "delay-not-a-number",
        "pool-inverted",
        "log-level",
    ],
)
def test_bad_configuration_is_one_error_naming_the_variable(env, named):
    with pytest.raises(ConfigError, match=named):
        Settings.from_env({**DEPLOYED, **env})


def test_secret_fields_fill_in_what_the_environment_leaves_open():
    secret = json.dumps({"username": "app", "password": "pw", "host": "secret-host", "port": 6432, "dbname": "pay"})
    from_secret = credentials_from_secret(secret, database_settings())
    overridden = credentials_from_secret(secret, database_settings(DB_HOST="proxy-host", DB_PORT="5432"))
    assert (from_secret.host, from_secret.port, from_secret.database) == ("secret-host", 6432, "pay")
    assert (overridden.host, overridden.port) == ("proxy-host", 5432)
    assert "pw" not in repr(from_secret)


@pytest.mark.parametrize("secret", ["not json", json.dumps({"username": "app"}), json.dumps(["app", "pw"])])
def test_a_malformed_database_secret_is_a_clear_error(secret):
    with pytest.raises(ConfigError, match="username and password"):
        credentials_from_secret(secret, database_settings())


def test_a_database_secret_without_a_host_needs_db_host():
    with pytest.raises(ConfigError, match="DB_HOST"):
        credentials_from_secret(json.dumps({"username": "app", "password": "pw"}), database_settings())


def test_the_redis_token_secret_may_be_bare_or_json():
    assert redis_token_from_secret("bare-token") == "bare-token"
    assert redis_token_from_secret(json.dumps({"auth_token": "json-token"})) == "json-token"
    with pytest.raises(ConfigError, match="REDIS_AUTH_SECRET_ARN"):
        redis_token_from_secret(json.dumps({"user": "x"}))


PASSWORD = "s3cret-in-the-url"


@pytest.mark.parametrize(
    "url, named",
    [
        (f"http://:{PASSWORD}@cache.example.internal:6379/0", "scheme 'http'"),
        (f"rediss://master.cache.example.internal:6379/0?password={PASSWORD}", "query parameters"),
        ("rediss://master.cache.example.internal:6379/0?ssl_cert_reqs=none", "query parameters"),
    ],
    ids=["wrong-scheme-with-password", "password-in-query", "certificate-checks-off"],
)
def test_a_refused_redis_url_is_named_but_never_echoed(url, named):
    with pytest.raises(ConfigError, match=named) as refused:
        Settings.from_env({**DEPLOYED, "REDIS_URL": url})
    assert PASSWORD not in str(refused.value) and "ssl_cert_reqs" not in str(refused.value)


def test_the_settings_repr_holds_no_password_or_token():
    settings = Settings.from_env(
        {
            "DATABASE_URL": f"postgresql://app:{PASSWORD}@127.0.0.1:5432/payments",
            "REDIS_AUTH_TOKEN": f"token-{PASSWORD}",
        }
    )
    assert PASSWORD not in repr(settings)
    assert "redis://127.0.0.1:6379/0" in repr(settings)  # what is safe to show still shows


def test_the_service_reaches_postgres_over_verified_tls_only_with_the_right_ca(
    postgres, app_dsn, launch, make_body, new_key
):
    # GIVEN the test PostgreSQL serving TLS with a certificate from a throwaway CA
    ca_file = str(postgres.certificates.ca_file)
    # WHEN the service connects with verify-full, trusting that CA, or the shipped RDS bundle
    trusted = launch(DB_SSLMODE="verify-full", DB_SSL_ROOT_CERT=ca_file)
    untrusted = launch(DB_SSLMODE="verify-full")
    # THEN only the CA that signed the server's certificate lets a payment through, and it went over TLS
    assert trusted.client.post("/payments", json=make_body(), headers={"Idempotency-Key": new_key()}).status_code == 201
    refused = untrusted.client.post("/payments", json=make_body(), headers={"Idempotency-Key": new_key()})
    assert (refused.status_code, refused.json()["error"]) == (503, "database_unavailable")
    encrypted_sessions = postgres.psql(
        "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)"
        " WHERE a.usename = 'payments_app' AND s.ssl"
    )
    assert (
        int(encrypted_sessions) >= 1
    )  # the trusted service's pooled session (the shared one uses loopback clear text)

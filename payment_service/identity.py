"""Who is calling: a bearer token from one of the platform's two user pools, verified here.

Merchants and customers are two populations (two Cognito user pools: two issuers, each with its own
signing keys). The token's `iss` picks the population; PyJWT then checks the signature against that
pool's published keys (JWKS), the algorithm, the audience (the pool's app clients), the issuer and
the expiry. The claim that names the caller must be a valid reference: it is what payments are
matched against.

Keys are fetched on first use and kept; a token signed with a key ID not yet known refreshes them,
at most once per REFRESH_INTERVAL_SECONDS, so forged tokens cannot turn into a stream of fetches.
When a refresh fails, the keys already known keep serving; with none known the answer is 503.

A client sends the same token with every request until it expires, so a token that passed every
check is remembered, by its exact text, until it expires or for VERIFIED_TTL_SECONDS, whichever
comes first: the RSA verification and the claim checks run once per token and interval, not once
per request. A changed or forged token never matches an entry; a token signed with a key the pool
has since withdrawn is accepted at most VERIFIED_TTL_SECONDS longer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt

from .config import AuthSettings, PopulationSettings, redacted_url
from .models import is_valid_reference

log = logging.getLogger(__name__)

MERCHANT, CUSTOMER = "merchant", "customer"
# Cognito signs with RS256; a fixed list, never taken from the token (RFC 8725 2.1).
ALGORITHMS = ("RS256",)
CLOCK_SKEW_SECONDS = 30
MAX_TOKEN_LENGTH = 8192
REFRESH_INTERVAL_SECONDS = 10.0
# Keys older than this are refreshed when next used (Cognito rotates rarely and announces keys early).
MAX_KEY_AGE_SECONDS = 3600.0
JWKS_TIMEOUT_SECONDS = 3.0
MAX_JWKS_BYTES = 1 << 20
VERIFIED_TTL_SECONDS = 300.0
MAX_VERIFIED_TOKENS = 4096


class AuthenticationFailed(Exception):
    """No usable bearer token: a 401 with `code`; the message never repeats the token."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


class IdentityUnavailable(RuntimeError):
    """No signing keys could be loaded, so no token can be checked: a 503, retry later."""


@dataclass(frozen=True)
class Caller:
    kind: str  # MERCHANT or CUSTOMER
    reference: str  # the merchant's or customer's ID, as payments name them

    @property
    def is_merchant(self) -> bool:
        return self.kind == MERCHANT


def fetch_jwks(url: str) -> dict[str, Any]:
    """GET the key set; https is checked against the system's CAs (loopback http only in tests)."""
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=JWKS_TIMEOUT_SECONDS) as response:
        return json.loads(response.read(MAX_JWKS_BYTES + 1)[:MAX_JWKS_BYTES])


class SigningKeys:
    """One pool's published keys by key ID, loaded lazily and refreshed with a rate limit."""

    def __init__(
        self, url: str, fetch: Callable[[str], dict[str, Any]] = fetch_jwks, clock: Callable[[], float] = time.monotonic
    ):
        self._url, self._fetch, self._clock = url, fetch, clock
        self._keys: dict[str, jwt.PyJWK] = {}
        self._loaded_at = float("-inf")
        self._attempted_at = float("-inf")
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def get(self, key_id: str) -> jwt.PyJWK | None:
        key = self._keys.get(key_id)
        if key is None or self._clock() - self._loaded_at > MAX_KEY_AGE_SECONDS:
            await self._refresh(key_id)
            key = self._keys.get(key_id)
        return key

    async def _refresh(self, key_id: str) -> None:
        async with self._lock:
            if key_id in self._keys and self._clock() - self._loaded_at <= MAX_KEY_AGE_SECONDS:
                return  # another request refreshed while this one waited
            if self._clock() - self._attempted_at < REFRESH_INTERVAL_SECONDS:
                if not self._keys:
                    raise IdentityUnavailable("signing keys not loaded yet")
                return
            self._attempted_at = self._clock()
            self.fetches += 1
            try:
                document = await asyncio.to_thread(self._fetch, self._url)
                keys = {
                    key.key_id: key
                    for key in jwt.PyJWKSet.from_dict(document).keys
                    if key.key_id and key.public_key_use in (None, "sig")
                }
            except Exception as error:  # network, HTTP, JSON or key-format errors all mean "no new keys"
                log.warning(
                    "signing keys could not be loaded",
                    extra={
                        "jwks_url": redacted_url(self._url),
                        "error_type": type(error).__name__,
                        "keys_kept": len(self._keys),
                    },
                )
                if not self._keys:
                    raise IdentityUnavailable(type(error).__name__) from error
                return
            self._keys, self._loaded_at = keys, self._clock()
            log.info("signing keys loaded", extra={"jwks_url": redacted_url(self._url), "key_count": len(keys)})


@dataclass(frozen=True)
class _Population:
    kind: str
    settings: PopulationSettings
    keys: SigningKeys


class Authenticator:
    """Turns an Authorization header into a Caller, or raises AuthenticationFailed / IdentityUnavailable."""

    def __init__(
        self,
        settings: AuthSettings,
        fetch: Callable[[str], dict[str, Any]] = fetch_jwks,
        clock: Callable[[], float] = time.time,
    ):
        self._by_issuer = {
            population.issuer: _Population(kind, population, SigningKeys(population.jwks_url, fetch))
            for kind, population in ((MERCHANT, settings.merchants), (CUSTOMER, settings.customers))
        }
        self._clock = clock
        self._verified: dict[str, tuple[Caller, float]] = {}  # token -> (caller, good until)

    async def caller(self, authorization: str | None) -> Caller:
        token = _bearer_token(authorization)
        remembered = self._verified.get(token)
        if remembered is not None:
            if self._clock() < remembered[1]:
                return remembered[0]
            del self._verified[token]
        caller, expires_at = await self._verify(token)
        good_until = min(expires_at, self._clock() + VERIFIED_TTL_SECONDS)
        if good_until > self._clock():
            if len(self._verified) >= MAX_VERIFIED_TOKENS:
                del self._verified[next(iter(self._verified))]  # the oldest entry
            self._verified[token] = (caller, good_until)
        return caller

    async def _verify(self, token: str) -> tuple[Caller, float]:
        """Every check of the token; the caller it names and when it expires (its `exp`)."""
        try:
            header = jwt.get_unverified_header(token)
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
        except jwt.InvalidTokenError:
            raise AuthenticationFailed("token_invalid", "the bearer token is not a well-formed JWT") from None
        population = self._by_issuer.get(issuer) if isinstance(issuer, str) else None
        if population is None:
            raise AuthenticationFailed("token_invalid", "the token was not issued by one of the platform's user pools")
        key_id = header.get("kid")
        key = await population.keys.get(key_id) if isinstance(key_id, str) else None
        if key is None:
            raise AuthenticationFailed("token_invalid", "the token is not signed with a published key of its issuer")
        claims = _verified_claims(token, key, population.settings)
        reference = claims.get(population.settings.id_claim)
        if not isinstance(reference, str) or not is_valid_reference(reference):
            raise AuthenticationFailed("token_invalid", f"the token does not name a {population.kind} in a valid form")
        return Caller(population.kind, reference), float(claims["exp"])


def _bearer_token(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthenticationFailed(
            "authentication_required", "send Authorization: Bearer <token> from the platform's user pool"
        )
    if len(token) > MAX_TOKEN_LENGTH:
        raise AuthenticationFailed("token_invalid", f"the bearer token is longer than {MAX_TOKEN_LENGTH} characters")
    return token


def _verified_claims(token: str, key: jwt.PyJWK, settings: PopulationSettings) -> dict[str, Any]:
    try:
        return jwt.decode(
            token,
            key,
            algorithms=list(ALGORITHMS),
            audience=list(settings.audiences),
            issuer=settings.issuer,
            leeway=CLOCK_SKEW_SECONDS,
            options={"require": ["exp", "iat", "iss", "aud"], "enforce_minimum_key_length": True},
        )
    except jwt.ExpiredSignatureError:
        raise AuthenticationFailed("token_invalid", "the token has expired") from None
    except (jwt.InvalidTokenError, jwt.PyJWKError):
        raise AuthenticationFailed("token_invalid", "the token's signature, audience or claims are not valid") from None

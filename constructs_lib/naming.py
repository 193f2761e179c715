"""Physical names: the one helper that puts the environment suffix on every name."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Naming:
    project: str
    environment: str

    def name(self, *parts: str) -> str:
        """`meridian-<parts>-<env>`: resource names, identifiers, log group leaves."""
        return "-".join([self.project, *parts, self.environment])

    def bucket(self, purpose: str, account: str, region: str) -> str:
        """S3 names are global: account and region make them unique without guessing."""
        return self.name(purpose, account, region)

    def alias(self, purpose: str) -> str:
        return f"alias/{self.name(purpose)}"

    def state_key(self, stack: str) -> str:
        """One Terraform state object per environment and stack."""
        return f"{self.project}/{self.environment}/{stack}.tfstate"

    def state_prefix(self) -> str:
        """Where every state object of this environment lives in the state bucket."""
        return f"{self.project}/{self.environment}/"

"""Ephemeral blocks: values Terraform opens during a run and never writes to plan or state (SEC-3).

cdktf 0.21 has no class for Terraform's `ephemeral` blocks. Terraform's JSON syntax accepts every
block type, so `EphemeralBlock` writes one into its stack's JSON with `add_override` and hands out
references to its attributes:

    password = EphemeralBlock(self, "password", "aws_secretsmanager_random_password", {"password_length": 32})
    RdsCluster(..., master_password_wo=password.ref("random_password"), master_password_wo_version=1)

`ref` renders `${ephemeral.TYPE.NAME.ATTR}`, and a bare reference inside a Terraform function
(`Fn.jsonencode({...})`), like any cdktf attribute token. Terraform accepts an ephemeral value only
in write-only arguments (`*_wo`), provider blocks, locals and other ephemeral blocks, and refuses it
anywhere it could be stored, so a reference cannot leak a secret into state by mistake.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import jsii
from cdktf import IResolvable, IResolveContext, TerraformStack, Token
from constructs import Construct


class EphemeralBlock(Construct):
    """One `ephemeral "TYPE" "NAME"` block; NAME is derived from the construct path, so it is unique."""

    def __init__(self, scope: Construct, id_: str, type_: str, config: Mapping[str, object]) -> None:
        super().__init__(scope, id_)
        stack = TerraformStack.of(self)
        self.type = type_
        self.name = _block_name(self, stack)
        stack.add_override(f"ephemeral.{type_}.{self.name}", dict(config))

    def ref(self, attribute: str) -> str:
        """A string token for one attribute, for write-only arguments and Terraform functions."""
        return Token.as_string(_Reference(f"ephemeral.{self.type}.{self.name}.{attribute}"))


def _block_name(block: Construct, stack: TerraformStack) -> str:
    """`credentials/master/password` under the stack -> `credentials_master_password`."""
    path = block.node.path.removeprefix(stack.node.path).strip("/")
    return re.sub(r"[^A-Za-z0-9_]", "_", path)


@jsii.implements(IResolvable)
class _Reference:
    """A Terraform expression that resolves as cdktf's own references do: `${expr}` as a whole
    value, the bare expression inside another expression (a function call, a template)."""

    def __init__(self, expression: str) -> None:
        self._expression = expression

    @property
    def creation_stack(self) -> list[str]:
        return []

    def resolve(self, context: IResolveContext) -> str:
        return self._expression if context.suppress_braces else f"${{{self._expression}}}"

    def to_string(self) -> str:
        return Token.as_string(self)

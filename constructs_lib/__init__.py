"""Meridian's constructs. Importing this package installs the fast bindings loader first, so every
ordinary `from cdktf_cdktf_provider_aws.<submodule> import ...` below it stays fast."""

from constructs_lib import bindings as _bindings

_bindings.install()

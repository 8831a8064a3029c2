#!/usr/bin/env bash
# Set up the project's virtual environment (.venv) and install the project into it.
#
#   bash scripts/setup.sh          # normally called for you by `make run` / `make test`
#   PYTHON=/path/to/python3.12 bash scripts/setup.sh   # use that interpreter
#
# Finds a Python >= 3.12 by itself, in this order (each candidate is run to check its version):
#   1. $PYTHON, if set (if it is not a usable Python >= 3.12 this is an error, not a fallback)
#   2. python3.12, python3.13 on PATH (3.12 is the version the project targets)
#   3. pyenv's installed versions >= 3.12: 3.12.x first, then the newer ones, highest first
#      (without a pyenv command: $PYENV_ROOT, else ~/.pyenv)
#   4. python3 on PATH
# Creates .venv with it (recreated when the existing one is broken or older than 3.12, or when
# $PYTHON names a different interpreter), then runs `pip install -e '.[dev]'`. The pip step is
# skipped when pyproject.toml has not changed since the last successful install (stamp file in
# .venv). Prints one line on success; pip's output goes to .venv/setup-pip.log, printed on failure.
# Idempotent: running it again changes nothing.
set -euo pipefail

MIN_MAJOR=3
MIN_MINOR=12
MIN="$MIN_MAJOR.$MIN_MINOR"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
VENV_PY="$VENV/bin/python"
STAMP="$VENV/.setup-stamp"
LOG="$VENV/setup-pip.log"

say() { printf 'setup: %s\n' "$*"; }
err() { printf 'setup: error: %s\n' "$*" >&2; }

# probe PY: run PY and print "<status> <version> <base_prefix>", status being
#   ok     - Python >= 3.12 with the venv and ensurepip modules
#   novenv - Python >= 3.12 but it cannot create virtual environments (e.g. Debian without pythonX.Y-venv)
#   old    - Python older than 3.12
# Prints nothing and fails when PY does not run as a Python at all.
probe() {
    local out
    out="$("$1" -I -c '
import os, sys
v = "%d.%d.%d" % sys.version_info[:3]
base = os.path.realpath(sys.base_prefix)
if sys.version_info < ('"$MIN_MAJOR, $MIN_MINOR"'):
    print("old", v, base)
else:
    try:
        import venv, ensurepip  # noqa: F401
    except ImportError:
        print("novenv", v, base)
    else:
        print("ok", v, base)
' </dev/null 2>/dev/null)" || return 1
    case "$out" in
        ok\ * | novenv\ * | old\ *) printf '%s\n' "$out" ;;
        *) return 1 ;;
    esac
}

TRIED=()      # "candidate: why it was not used", for the error message
FOUND_PY=""   # the chosen interpreter
FOUND_VER=""
FOUND_BASE=""

# try PY [LABEL]: use PY if it is a usable Python >= 3.12; otherwise remember why not.
try() {
    local py=$1 label=${2:-$1} out status ver base
    if ! out="$(probe "$py")"; then
        TRIED+=("$label: does not run as Python")
        return 1
    fi
    read -r status ver base <<<"$out"
    case "$status" in
        ok)
            FOUND_PY=$py FOUND_VER=$ver FOUND_BASE=$base
            return 0 ;;
        novenv)
            TRIED+=("$label: Python $ver, but it has no venv/ensurepip module (on Debian/Ubuntu: apt-get install python$MIN-venv or python${ver%.*}-venv)") ;;
        old)
            TRIED+=("$label: Python $ver is older than $MIN") ;;
    esac
    return 1
}

pyenv_root() {
    if command -v pyenv >/dev/null 2>&1 && pyenv root 2>/dev/null; then
        return 0
    fi
    printf '%s\n' "${PYENV_ROOT:-${HOME:-/nonexistent}/.pyenv}"
}

# Search for a Python >= 3.12 (PYTHON is handled by the caller). Sets FOUND_*; fails if none.
discover() {
    local name py root d v
    for name in python3.12 python3.13; do
        if py="$(command -v "$name" 2>/dev/null)"; then
            try "$py" "$name ($py)" && return 0
        fi
    done
    root="$(pyenv_root)"
    if [ -d "$root/versions" ]; then
        # Version directories named like 3.12.1 / 3.13.0, 3.12 first; the name is only a
        # pre-filter, the interpreter is still run to check its version.
        while IFS= read -r v; do
            try "$root/versions/$v/bin/python3" "pyenv $v ($root/versions/$v/bin/python3)" && return 0
        done < <(
            for d in "$root"/versions/*/; do
                d="${d%/}"; d="${d##*/}"
                if [[ $d =~ ^([0-9]+)\.([0-9]+) ]] &&
                    { [ "${BASH_REMATCH[1]}" -gt "$MIN_MAJOR" ] ||
                      { [ "${BASH_REMATCH[1]}" -eq "$MIN_MAJOR" ] && [ "${BASH_REMATCH[2]}" -ge "$MIN_MINOR" ]; }; }; then
                    printf '%s\n' "$d"
                fi
            done | sort -V | awk -v want="$MIN" 'index($0, want ".") == 1 { print; next } { rest[n++] = $0 }
                END { for (i = n - 1; i >= 0; i--) print rest[i] }'
        )
    fi
    if py="$(command -v python3 2>/dev/null)"; then
        try "$py" "python3 ($py)" && return 0
    fi
    return 1
}

no_python() {
    {
        if [ -n "${PYTHON:-}" ]; then
            echo "setup: error: PYTHON=$PYTHON is not a usable Python >= $MIN."
        else
            echo "setup: error: no usable Python >= $MIN found."
        fi
        if [ "${#TRIED[@]}" -gt 0 ]; then
            echo "Tried:"
            printf '  - %s\n' "${TRIED[@]}"
        else
            echo "Tried: \$PYTHON (unset), python3.12, python3.13, pyenv versions, python3 - none present."
        fi
        echo "To fix, do one of:"
        echo "  - install Python $MIN or newer (Debian/Ubuntu: apt-get install python3.12 python3.12-venv), or"
        echo "  - with pyenv: pyenv install 3.12   (this script finds pyenv's versions by itself), or"
        echo "  - point at one explicitly: PYTHON=/path/to/python3.12 make test"
    } >&2
    exit 1
}

# 1. An explicit $PYTHON must work: silently using another interpreter would be surprising.
if [ -n "${PYTHON:-}" ]; then
    if ! try "$PYTHON" "\$PYTHON=$PYTHON"; then
        no_python
    fi
fi

# 2. Reuse .venv if it runs, is >= 3.12 and has pip (and matches $PYTHON when that is set).
venv_ok=0
venv_ver=""
if [ -x "$VENV_PY" ] && out="$("$VENV_PY" -I -c '
import os, sys, pip  # noqa: F401
if sys.version_info < ('"$MIN_MAJOR, $MIN_MINOR"'):
    sys.exit(1)
print("%d.%d.%d" % sys.version_info[:3], os.path.realpath(sys.base_prefix))
' </dev/null 2>/dev/null)"; then
    read -r venv_ver venv_base <<<"$out"
    venv_ok=1
    if [ -n "$FOUND_PY" ] && [ "$venv_base" != "$FOUND_BASE" ]; then
        venv_ok=0   # PYTHON asks for a different interpreter than the one .venv was made from
    fi
fi

created=0
if [ "$venv_ok" -eq 0 ]; then
    if [ -z "$FOUND_PY" ]; then
        discover || no_python
    fi
    rm -rf "$VENV"
    if ! venv_out="$("$FOUND_PY" -m venv "$VENV" 2>&1 </dev/null)"; then
        err "could not create $VENV with $FOUND_PY (Python $FOUND_VER):"
        printf '%s\n' "$venv_out" >&2
        rm -rf "$VENV"
        exit 1
    fi
    venv_ver=$FOUND_VER
    created=1
fi

# 3. Install the project unless pyproject.toml is unchanged since the last successful install.
want="$("$VENV_PY" -I -c '
import hashlib, sys
print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())
' "$ROOT/pyproject.toml")"
have="$(cat "$STAMP" 2>/dev/null || true)"
if [ "$created" -eq 0 ] && [ "$want" = "$have" ]; then
    say ".venv up to date (Python $venv_ver)"
    exit 0
fi

rm -f "$STAMP"
if ! (
    cd "$ROOT"
    PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
        "$VENV_PY" -m pip install --progress-bar off -e '.[dev]'
) >"$LOG" 2>&1 </dev/null; then
    err "pip install -e '.[dev]' failed; its output ($LOG) follows:"
    cat "$LOG" >&2
    err "pip install -e '.[dev]' failed (see above, or $LOG)"
    exit 1
fi
printf '%s\n' "$want" >"$STAMP.tmp.$$"
mv -f "$STAMP.tmp.$$" "$STAMP"

if [ "$created" -eq 1 ]; then
    say "created .venv with Python $venv_ver ($FOUND_PY) and installed the project (pip log: .venv/setup-pip.log)"
else
    say "reinstalled the project into .venv (pyproject.toml changed or last install failed; Python $venv_ver, pip log: .venv/setup-pip.log)"
fi

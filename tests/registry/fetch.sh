#!/usr/bin/env bash
# Installs the registry packages tests/registry.rs audits, with the same
# tools and flags a team uses to build a Lambda package: `pip install
# --target` for a wheel's platform and Python, `npm ci` from a lockfile.
# Hashes and lockfiles pin every file, so reruns give the same trees.
# Output: target/registry-fixtures/<name>/ (skipped when already there).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../../target/registry-fixtures"
mkdir -p "$out"

# name, requirements file, pip platform, python version
pip_fixture() {
    local name=$1 requirements=$2 platform=$3 python=$4 dir="$out/$1"
    [ -e "$dir/.complete" ] && return
    rm -rf "$dir"
    python3 -m pip install --quiet --disable-pip-version-check --no-compile --root-user-action=ignore \
        --no-deps --only-binary=:all: --require-hashes \
        --platform "$platform" --python-version "$python" \
        --target "$dir" -r "$here/pip/$requirements"
    touch "$dir/.complete"
}

# name: installs tests/registry/npm/<name>/package-lock.json
npm_fixture() {
    local name=$1 dir="$out/$1"
    [ -e "$dir/.complete" ] && return
    rm -rf "$dir"
    mkdir -p "$dir"
    cp "$here/npm/$name/package.json" "$here/npm/$name/package-lock.json" "$dir/"
    # scripts stay off: the fixtures are what the registry ships, nothing built
    (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
    touch "$dir/.complete"
}

# name: installs tests/registry/npm/<name>/yarn.lock with yarn 1, the
# version most Serverless services pinned
yarn_fixture() {
    local name=$1 dir="$out/$1"
    [ -e "$dir/.complete" ] && return
    rm -rf "$dir"
    mkdir -p "$dir"
    cp "$here/npm/$name/package.json" "$here/npm/$name/yarn.lock" "$dir/"
    (cd "$dir" && npx --yes yarn@1.22.22 install --frozen-lockfile --ignore-scripts \
        --non-interactive --no-progress --silent >/dev/null 2> >(grep -v 'Ignored scripts' >&2))
    touch "$dir/.complete"
}

pip_fixture numpy-1.26.4 numpy-1.26.4.txt manylinux2014_x86_64 3.11
pip_fixture numpy-2.4.1 numpy-2.4.1.txt manylinux_2_28_x86_64 3.11
pip_fixture markupsafe-arm64 markupsafe-arm64.txt manylinux2014_aarch64 3.11
pip_fixture markupsafe-cp312 markupsafe-cp312.txt manylinux2014_x86_64 3.12
pip_fixture opencv-python opencv-python.txt manylinux2014_x86_64 3.12
pip_fixture nose nose.txt manylinux2014_x86_64 3.12
pip_fixture pydantic-core pydantic-core.txt manylinux2014_x86_64 3.12
pip_fixture powertools-tracer powertools-tracer.txt manylinux2014_x86_64 3.12
pip_fixture pydantic pydantic.txt manylinux2014_x86_64 3.11
pip_fixture sentry sentry.txt manylinux2014_x86_64 3.12
npm_fixture zeromq
npm_fixture sharp
npm_fixture undici
npm_fixture esm-only
npm_fixture prebuilds
npm_fixture serverless-service
yarn_fixture serverless-yarn-service
npm_fixture powertools-mismatch

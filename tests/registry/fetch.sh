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

# name, lockfile, install command: installs tests/registry/npm/<name>
# from its package.json and lockfile; scripts stay off, the fixtures are
# what the registry ships. A fixture with a build.sh is then built by it
# from its src/, as the team's build would.
node_fixture() {
    local name=$1 lockfile=$2 dir="$out/$1"
    shift 2
    [ -e "$dir/.complete" ] && return
    rm -rf "$dir"
    mkdir -p "$dir"
    cp "$here/npm/$name/package.json" "$here/npm/$name/$lockfile" "$dir/"
    [ -d "$here/npm/$name/src" ] && cp -r "$here/npm/$name/src" "$dir/"
    (cd "$dir" && "$@")
    [ -e "$here/npm/$name/build.sh" ] && (cd "$dir" && bash "$here/npm/$name/build.sh")
    touch "$dir/.complete"
}

npm_fixture() {
    node_fixture "$1" package-lock.json \
        sh -c 'npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null'
}

# with yarn 1, the version most Serverless services pinned
yarn_fixture() {
    node_fixture "$1" yarn.lock \
        sh -c 'npx --yes yarn@1.22.22 install --frozen-lockfile --ignore-scripts \
            --non-interactive --no-progress >../yarn.log 2>&1 || { cat ../yarn.log >&2; exit 1; }'
    rm -f "$out/yarn.log"
}

# with pnpm 9: node_modules/ holds links into node_modules/.pnpm/
pnpm_fixture() {
    node_fixture "$1" pnpm-lock.yaml \
        sh -c 'npx --yes pnpm@9.15.9 install --frozen-lockfile --prod --ignore-scripts \
            --reporter=silent >/dev/null'
}

pip_fixture numpy-1.26.4 numpy-1.26.4.txt manylinux2014_x86_64 3.11
pip_fixture numpy-2.4.1 numpy-2.4.1.txt manylinux_2_28_x86_64 3.11
pip_fixture markupsafe-arm64 markupsafe-arm64.txt manylinux2014_aarch64 3.11
pip_fixture markupsafe-cp312 markupsafe-cp312.txt manylinux2014_x86_64 3.12
pip_fixture markupsafe-musl markupsafe-musl.txt musllinux_1_2_x86_64 3.11
pip_fixture opencv-python opencv-python.txt manylinux2014_x86_64 3.12
pip_fixture nose nose.txt manylinux2014_x86_64 3.12
pip_fixture pydantic-core pydantic-core.txt manylinux2014_x86_64 3.12
pip_fixture powertools-tracer powertools-tracer.txt manylinux2014_x86_64 3.12
pip_fixture pydantic pydantic.txt manylinux2014_x86_64 3.11
pip_fixture sentry sentry.txt manylinux2014_x86_64 3.12
pip_fixture flask-werkzeug3 flask-werkzeug3.txt manylinux2014_x86_64 3.12
pip_fixture pypi-names pypi-names.txt manylinux2014_x86_64 3.11
pip_fixture boto3 boto3.txt manylinux2014_x86_64 3.12
pip_fixture tomli tomli.txt manylinux2014_x86_64 3.11
pip_fixture sqlalchemy sqlalchemy.txt manylinux2014_x86_64 3.11
pip_fixture anyio anyio.txt manylinux2014_x86_64 3.11
pip_fixture pydantic-core-macos pydantic-core-macos.txt macosx_11_0_arm64 3.11
pip_fixture pydantic-core-arm64 pydantic-core-arm64.txt manylinux2014_aarch64 3.11
pip_fixture pydantic-core-windows pydantic-core-windows.txt win_amd64 3.11
npm_fixture zeromq
npm_fixture sharp
npm_fixture undici
npm_fixture esm-only
npm_fixture prebuilds
npm_fixture serverless-service
yarn_fixture serverless-yarn-service
npm_fixture powertools-mismatch
npm_fixture cjs-names
npm_fixture esm-imports
npm_fixture bundled
npm_fixture react-ssr
pnpm_fixture pnpm-express

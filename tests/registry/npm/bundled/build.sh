#!/usr/bin/env bash
# The function bundled by esbuild three ways, each with esbuild's metafile
# (what each input contributes to the output) beside it in meta/:
# minified with a source map file; a minified ES module with its source
# map inline; unminified without a map, CDK NodejsFunction's default,
# where esbuild names each module in a comment; and unminified with a
# source map file.
set -euo pipefail
esbuild=node_modules/.bin/esbuild
bundle() {
    "$esbuild" src/index.ts --bundle --platform=node --target=node20 --log-level=warning "$@"
}
mkdir -p meta
bundle --minify --sourcemap --metafile=meta/minified.json --outfile=dist/minified/index.js
bundle --format=esm --minify --sourcemap=inline --metafile=meta/inline.json \
    --outfile=dist/inline/index.mjs \
    --banner:js="import { createRequire } from 'module'; const require = createRequire(import.meta.url);"
bundle --metafile=meta/plain.json --outfile=dist/plain/index.js
bundle --sourcemap --metafile=meta/plain-mapped.json --outfile=dist/plain-mapped/index.js
# the same function after a change that drops lodash, moment and the
# document client: what a pull request's diff of two bundles compares
"$esbuild" src/lean.ts --bundle --platform=node --target=node20 --log-level=warning \
    --minify --sourcemap --outfile=dist/lean/index.js

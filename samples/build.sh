#!/usr/bin/env bash
# Builds real deployment packages from the npm registry and PyPI, with pinned
# versions, the way teams build them for Lambda.
#
#   samples/build.sh          the larger packages, into samples/build/ (not committed)
#   samples/build.sh small    the small packages committed in samples/
#
# Needs node + npm and python3 + pip, and network access to the registries.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out="$here/build"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Zips a directory like the usual deploy tools: deflate at the default level,
# files in sorted order, unix modes kept, symlinks stored as links.
zipdir() { # SRC DEST.zip
  python3 - "$1" "$2" <<'PY'
import os, stat, sys, zipfile
src, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
    for root, dirs, files in os.walk(src):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(root, name)
            arc = os.path.relpath(path, src)
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                info = zipfile.ZipInfo(arc)
                info.external_attr = (stat.S_IFLNK | 0o777) << 16
                info.create_system = 3
                z.writestr(info, os.readlink(path))
            else:
                z.write(path, arc)
PY
}

npm_function() { # NAME "pkg@ver ..." HANDLER_SOURCE
  local dir="$work/$1"
  mkdir -p "$dir"
  (cd "$dir" && npm init -y >/dev/null && npm pkg set private=true >/dev/null &&
    npm install --omit=dev --no-audit --no-fund --save-exact $2 >/dev/null)
  printf '%s\n' "$3" >"$dir/index.js"
  zipdir "$dir" "$dest/$1.zip"
  echo "built $dest/$1.zip"
}

# pip into the function root, as `pip install -t .` does for Lambda; wheels
# for the Lambda platform, not this machine.
pip_function() { # NAME PYTHON_VERSION "pkg==ver ..." HANDLER_SOURCE
  local dir="$work/$1"
  mkdir -p "$dir"
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-warn-conflicts $PIP_EXTRA --target "$dir" \
    --platform manylinux2014_x86_64 --implementation cp --python-version "$2" \
    --only-binary=:all: $3
  printf '%s\n' "$4" >"$dir/lambda_function.py"
  zipdir "$dir" "$dest/$1.zip"
  echo "built $dest/$1.zip"
}

npm_layer() { # NAME "pkg@ver ..."
  local dir="$work/$1/nodejs"
  mkdir -p "$dir"
  (cd "$dir" && npm init -y >/dev/null &&
    npm install --omit=dev --no-audit --no-fund --save-exact $2 >/dev/null)
  zipdir "$work/$1" "$dest/$1.zip"
  echo "built $dest/$1.zip"
}

pip_layer() { # NAME PYTHON_VERSION "pkg==ver ..."
  local dir="$work/$1/python/lib/python$2/site-packages"
  mkdir -p "$dir"
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-warn-conflicts $PIP_EXTRA --target "$dir" \
    --platform manylinux2014_x86_64 --implementation cp --python-version "$2" \
    --only-binary=:all: $3
  zipdir "$work/$1" "$dest/$1.zip"
  echo "built $dest/$1.zip"
}

case "${1:-large}" in
small)
  dest="$here"
  # bytecode is left out to keep the committed samples small
  PIP_EXTRA=--no-compile
  npm_function node-express "express@4.21.2" \
    "const express = require('express');
const app = express();
app.get('/hello', (req, res) => res.json({ hello: 'world' }));
exports.handler = async (event) => ({ statusCode: 200, body: 'ok' });"
  pip_function python-requests 3.12 "requests==2.32.3" \
    "import json
import requests

def lambda_handler(event, context):
    r = requests.get(event['url'], timeout=5)
    return {'statusCode': r.status_code, 'body': json.dumps(len(r.content))}"
  npm_layer node-layer "uuid@9.0.1 ms@2.1.3"
  pip_layer python-layer 3.12 "six==1.16.0 attrs==24.2.0"
  ;;
large)
  dest="$out"
  PIP_EXTRA=
  mkdir -p "$dest"
  npm_function node-aws-sdk-v2 "aws-sdk@2.1692.0" \
    "const AWS = require('aws-sdk');
const db = new AWS.DynamoDB.DocumentClient();
exports.handler = async (event) => db.get({ TableName: process.env.TABLE, Key: { id: event.id } }).promise();"
  npm_function node-dynamodb-v3 "@aws-sdk/client-dynamodb@3.699.0 @aws-sdk/lib-dynamodb@3.699.0" \
    "const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
const { DynamoDBDocumentClient, GetCommand } = require('@aws-sdk/lib-dynamodb');
const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));
exports.handler = async (event) => db.send(new GetCommand({ TableName: process.env.TABLE, Key: { id: event.id } }));"
  npm_function node-express "express@4.21.2" \
    "const express = require('express');
exports.handler = async () => ({ statusCode: 200, body: typeof express });"
  pip_function python-boto3 3.12 "boto3==1.35.99" \
    "import boto3
s3 = boto3.client('s3')

def lambda_handler(event, context):
    return s3.list_buckets()['Buckets']"
  pip_function python-pandas 3.12 "pandas==2.2.3" \
    "import pandas as pd

def lambda_handler(event, context):
    return pd.DataFrame(event['rows']).describe().to_dict()"
  ;;
*)
  echo "usage: samples/build.sh [small|large]" >&2
  exit 2
  ;;
esac

#!/usr/bin/env bash
# Builds real deployment packages from the npm registry and PyPI, with pinned
# versions, the way teams build them for Lambda.
#
#   samples/build.sh          the larger packages, into samples/build/ (not committed)
#   samples/build.sh small    the small packages committed in samples/
#   samples/build.sh calibrate  the functions the init-time model is fitted on,
#                             into samples/build/calibrate/ (bench/calibrate.py)
#
# Needs node + npm and python3 + pip, and network access to the registries.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out="$here/build"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Zips a directory like the usual deploy tools: deflate at the default level,
# files in sorted order, unix modes kept, symlinks stored as links, and each
# file's mtime to the second in an extended timestamp field, as `zip -r`
# writes it (the DOS time alone rounds odd seconds away, and Python then
# ignores the .pyc files pip compiled).
zipdir() { # SRC DEST.zip
  python3 - "$1" "$2" <<'PY'
import os, stat, struct, sys, zipfile
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
                info = zipfile.ZipInfo.from_file(path, arc)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.extra = struct.pack("<HHBI", 0x5455, 5, 1, int(st.st_mtime))
                with open(path, "rb") as f:
                    z.writestr(info, f.read())
PY
}

# `samples/build.sh MODE NAME` rebuilds only the package NAME of that mode.
only="${2:-}"
wanted() { [ -z "$only" ] || [ "$only" = "$1" ]; }

npm_function() { # NAME "pkg@ver ..." HANDLER_SOURCE [HANDLER_FILE]
  wanted "$1" || return 0
  local dir="$work/$1"
  mkdir -p "$dir"
  (cd "$dir" && npm init -y >/dev/null && npm pkg set private=true >/dev/null &&
    npm install --omit=dev --no-audit --no-fund --save-exact $2 >/dev/null)
  printf '%s\n' "$3" >"$dir/${4:-index.js}"
  zipdir "$dir" "$dest/$1.zip"
  echo "built $dest/$1.zip"
}

# pip into the function root, as `pip install -t .` does for Lambda; wheels
# for the Lambda platform, not this machine.
pip_function() { # NAME PYTHON_VERSION "pkg==ver ..." HANDLER_SOURCE
  wanted "$1" || return 0
  local dir="$work/$1"
  mkdir -p "$dir"
  [ -z "$3" ] || python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-warn-conflicts $PIP_EXTRA --target "$dir" \
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
calibrate)
  # Functions whose init deadweight measures to fit its init-time model
  # (bench/calibrate.py). Python ones target the local interpreter's version
  # so their bytecode is valid when measured; some ship without bytecode.
  dest="$out/calibrate"
  mkdir -p "$dest"
  py=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  node_cal() { # NAME "pkg@ver ..." REQUIRES
    npm_function "$1" "$2" "$3
exports.handler = async (event) => ({ statusCode: 200, body: JSON.stringify(event) });"
  }
  node_cal node-plain "" "const crypto = require('crypto');"
  node_cal node-uuid "uuid@9.0.1" "const { v4 } = require('uuid');"
  node_cal node-lodash "lodash@4.17.21" "const _ = require('lodash');"
  node_cal node-lodash-get "lodash@4.17.21" "const get = require('lodash/get');"
  node_cal node-moment "moment@2.30.1" "const moment = require('moment');"
  node_cal node-dayjs "dayjs@1.11.13" "const dayjs = require('dayjs');"
  node_cal node-date-fns "date-fns@3.6.0" "const dateFns = require('date-fns');"
  node_cal node-axios "axios@1.7.9" "const axios = require('axios');"
  node_cal node-express "express@4.21.2" "const express = require('express');
const app = express();
app.get('/items/:id', (req, res) => res.json({ id: req.params.id }));"
  node_cal node-lambda-api "lambda-api@1.2.0" "const api = require('lambda-api')();
api.get('/items/:id', async (req) => ({ id: req.params.id }));"
  node_cal node-aws-sdk-v2 "aws-sdk@2.1692.0" "const AWS = require('aws-sdk');
const db = new AWS.DynamoDB.DocumentClient();"
  node_cal node-aws-sdk-v2-client "aws-sdk@2.1692.0" "const DynamoDB = require('aws-sdk/clients/dynamodb');
const db = new DynamoDB.DocumentClient();"
  node_cal node-dynamodb-v3 "@aws-sdk/client-dynamodb@3.699.0 @aws-sdk/lib-dynamodb@3.699.0" "const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
const { DynamoDBDocumentClient } = require('@aws-sdk/lib-dynamodb');
const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));"
  node_cal node-s3-v3 "@aws-sdk/client-s3@3.699.0" "const { S3Client } = require('@aws-sdk/client-s3');
const s3 = new S3Client({});"
  node_cal node-joi "joi@17.13.3" "const Joi = require('joi');"
  node_cal node-zod "zod@3.23.8" "const { z } = require('zod');"
  node_cal node-jsonwebtoken "jsonwebtoken@9.0.2" "const jwt = require('jsonwebtoken');"
  node_cal node-winston "winston@3.17.0" "const winston = require('winston');
const logger = winston.createLogger({ transports: [new winston.transports.Console()] });"
  node_cal node-pg "pg@8.13.1" "const { Pool } = require('pg');"
  node_cal node-mongoose "mongoose@8.9.2" "const mongoose = require('mongoose');"
  node_cal node-middy "@middy/core@4.7.0 @middy/http-json-body-parser@4.7.0" "const middy = require('@middy/core');
const jsonBodyParser = require('@middy/http-json-body-parser');"
  node_cal node-fastify "fastify@5.2.0" "const fastify = require('fastify')();"
  node_cal node-stripe "stripe@17.5.0" "const Stripe = require('stripe');"
  node_cal node-openai "openai@4.77.0" "const OpenAI = require('openai');"
  node_cal node-xray "aws-xray-sdk-core@3.10.2" "const AWSXRay = require('aws-xray-sdk-core');"
  node_cal node-powertools "@aws-lambda-powertools/logger@2.36.0 @aws-lambda-powertools/tracer@2.36.0" "const { Logger } = require('@aws-lambda-powertools/logger');
const { Tracer } = require('@aws-lambda-powertools/tracer');"
  node_cal node-graphql "graphql@16.10.0" "const graphql = require('graphql');"
  node_cal node-ajv "ajv@8.17.1" "const Ajv = require('ajv');"
  node_cal node-ioredis "ioredis@5.4.2" "const Redis = require('ioredis');"
  node_cal node-sequelize "sequelize@6.37.5" "const { Sequelize } = require('sequelize');"
  node_cal node-sentry "@sentry/aws-serverless@8.47.0" "const Sentry = require('@sentry/aws-serverless');"
  node_cal node-googleapis "googleapis@144.0.0" "const { google } = require('googleapis');"
  node_cal node-firebase-admin "firebase-admin@13.0.2" "const admin = require('firebase-admin');"
  node_cal node-mysql2 "mysql2@3.12.0" "const mysql = require('mysql2/promise');"
  node_cal node-luxon "luxon@3.5.0" "const { DateTime } = require('luxon');"
  node_cal node-handlebars "handlebars@4.7.8" "const Handlebars = require('handlebars');"
  # bundled by esbuild into one index.js, as CDK's NodejsFunction and
  # serverless-esbuild build them: minified unless the name ends in -plain
  # (CDK's default); the AWS SDK bundled in too
  node_cal_bundle() { # NAME "pkg@ver ..." REQUIRES [ESBUILD_FLAGS] [ENVIRONMENT]
    wanted "$1" || return 0
    local dir="$work/$1" minify=--minify
    case "$1" in *-plain) minify= ;; esac
    mkdir -p "$dir/src" "$dir/dist"
    (cd "$dir" && npm init -y >/dev/null && npm pkg set private=true >/dev/null &&
      npm install --omit=dev --no-audit --no-fund --save-exact $2 >/dev/null)
    printf '%s\n' "$3
exports.handler = async (event) => ({ statusCode: 200, body: JSON.stringify(event) });" >"$dir/src/index.js"
    (cd "$dir" && npx --yes esbuild@0.28.2 src/index.js --bundle --platform=node --target=node20 \
      $minify ${4:-} --log-level=warning --outfile=dist/index.js)
    zipdir "$dir/dist" "$dest/$1.zip"
    # the function's environment (NAME=VALUE lines), which calibrate.py
    # gives its audit and its measure
    rm -f "$dest/$1.env"
    [ -z "${5:-}" ] || printf '%s\n' "$5" >"$dest/$1.env"
    echo "built $dest/$1.zip"
  }
  node_cal_bundle node-bundle-dynamodb-v3 "@aws-sdk/client-dynamodb@3.699.0 @aws-sdk/lib-dynamodb@3.699.0" "const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
const { DynamoDBDocumentClient } = require('@aws-sdk/lib-dynamodb');
const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));"
  node_cal_bundle node-bundle-dynamodb-v3-plain "@aws-sdk/client-dynamodb@3.699.0 @aws-sdk/lib-dynamodb@3.699.0" "const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
const { DynamoDBDocumentClient } = require('@aws-sdk/lib-dynamodb');
const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));"
  node_cal_bundle node-bundle-s3-v3 "@aws-sdk/client-s3@3.699.0" "const { S3Client } = require('@aws-sdk/client-s3');
const s3 = new S3Client({});"
  node_cal_bundle node-bundle-express "express@4.21.2" "const express = require('express');
const app = express();
app.get('/items/:id', (req, res) => res.json({ id: req.params.id }));"
  node_cal_bundle node-bundle-lodash "lodash@4.17.21" "const _ = require('lodash');"
  node_cal_bundle node-bundle-moment "moment@2.30.1" "const moment = require('moment');"
  node_cal_bundle node-bundle-aws-sdk-v2-client "aws-sdk@2.1692.0" "const DynamoDB = require('aws-sdk/clients/dynamodb');
const db = new DynamoDB.DocumentClient();"
  node_cal_bundle node-bundle-openai "openai@4.77.0" "const OpenAI = require('openai');"
  node_cal_bundle node-bundle-graphql-plain "graphql@16.10.0" "const graphql = require('graphql');"
  node_cal_bundle node-bundle-winston "winston@3.17.0" "const winston = require('winston');
const logger = winston.createLogger({ transports: [new winston.transports.Console()] });"
  # Source maps: inline in the bundle (text Node reads with the code), and
  # parsed as the bundle loads when NODE_OPTIONS enables them
  maps_on=NODE_OPTIONS=--enable-source-maps
  dynamodb_init="const { DynamoDBClient } = require('@aws-sdk/client-dynamodb');
const { DynamoDBDocumentClient } = require('@aws-sdk/lib-dynamodb');
const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));"
  node_cal_bundle node-bundle-dynamodb-v3-inline-map "@aws-sdk/client-dynamodb@3.699.0 @aws-sdk/lib-dynamodb@3.699.0" "$dynamodb_init" --sourcemap=inline
  node_cal_bundle node-bundle-openai-inline-map "openai@4.77.0" "const OpenAI = require('openai');" --sourcemap=inline
  node_cal_bundle node-bundle-dynamodb-v3-maps-on "@aws-sdk/client-dynamodb@3.699.0 @aws-sdk/lib-dynamodb@3.699.0" "$dynamodb_init" --sourcemap "$maps_on"
  node_cal_bundle node-bundle-express-maps-on "express@4.21.2" "const express = require('express');
const app = express();
app.get('/items/:id', (req, res) => res.json({ id: req.params.id }));" --sourcemap "$maps_on"
  node_cal_bundle node-bundle-lodash-inline-maps-on "lodash@4.17.21" "const _ = require('lodash');" --sourcemap=inline "$maps_on"
  node_cal_bundle node-bundle-graphql-maps-on-plain "graphql@16.10.0" "const graphql = require('graphql');" --sourcemap "$maps_on"
  node_cal_bundle node-bundle-s3-v3-no-sources-maps-on "@aws-sdk/client-s3@3.699.0" "const { S3Client } = require('@aws-sdk/client-s3');
const s3 = new S3Client({});" "--sourcemap --sources-content=false" "$maps_on"
  # ES module handlers (index.mjs): Node's ES module loader, and CommonJS
  # packages imported from an ES module
  node_cal_esm() { # NAME "pkg@ver ..." IMPORTS
    npm_function "$1" "$2" "$3
export const handler = async (event) => ({ statusCode: 200, body: JSON.stringify(event) });" index.mjs
  }
  node_cal_esm node-esm-dynamodb-v3 "@aws-sdk/client-dynamodb@3.699.0" "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';"
  node_cal_esm node-esm-s3-v3 "@aws-sdk/client-s3@3.699.0" "import { S3Client } from '@aws-sdk/client-s3';"
  node_cal_esm node-esm-hono "hono@4.6.14" "import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';"
  node_cal_esm node-esm-openai "openai@4.77.0" "import OpenAI from 'openai';"
  node_cal_esm node-esm-lodash "lodash-es@4.17.21" "import _ from 'lodash-es';"
  node_cal_esm node-esm-lodash-cjs "lodash@4.17.21" "import _ from 'lodash';"
  node_cal_esm node-esm-zod "zod@3.23.8" "import { z } from 'zod';"

  pip_cal() { # NAME bytecode|source "pkg==ver ..." IMPORTS
    PIP_EXTRA=
    [ "$2" = source ] && PIP_EXTRA=--no-compile
    pip_function "$1" "$py" "$3" "$4

def lambda_handler(event, context):
    return {'statusCode': 200}"
  }
  pip_cal python-plain bytecode "" "import json"
  pip_cal python-requests bytecode "requests==2.32.3" "import requests"
  pip_cal python-requests-source source "requests==2.32.3" "import requests"
  pip_cal python-boto3 bytecode "boto3==1.35.99" "import boto3
s3 = boto3.client('s3', region_name='us-east-1')"
  pip_cal python-boto3-source source "boto3==1.35.99" "import boto3
s3 = boto3.client('s3', region_name='us-east-1')"
  pip_cal python-numpy bytecode "numpy==2.2.1" "import numpy"
  pip_cal python-pandas bytecode "pandas==2.2.3" "import pandas"
  pip_cal python-pydantic bytecode "pydantic==2.10.4" "import pydantic"
  pip_cal python-jinja2 bytecode "jinja2==3.1.5" "import jinja2"
  pip_cal python-jinja2-source source "jinja2==3.1.5" "import jinja2"
  pip_cal python-yaml bytecode "pyyaml==6.0.2" "import yaml"
  pip_cal python-sqlalchemy bytecode "sqlalchemy==2.0.36" "import sqlalchemy"
  pip_cal python-sqlalchemy-source source "sqlalchemy==2.0.36" "import sqlalchemy"
  pip_cal python-attrs bytecode "attrs==24.3.0" "import attrs"
  pip_cal python-dateutil bytecode "python-dateutil==2.9.0.post0 pytz==2024.2" "import dateutil.parser
import pytz"
  pip_cal python-jwt bytecode "pyjwt==2.10.1 cryptography==44.0.0" "import jwt
from cryptography.hazmat.primitives import hashes"
  pip_cal python-powertools bytecode "aws-lambda-powertools==3.4.0" "from aws_lambda_powertools import Logger
logger = Logger(service='calibration')"
  pip_cal python-click bytecode "click==8.1.8" "import click"
  pip_cal python-markdown-source source "markdown==3.7" "import markdown"
  pip_cal python-simplejson bytecode "simplejson==3.19.3" "import simplejson"
  # Libraries whose import mostly runs class definitions (pydantic models,
  # dataclasses, enums, typed dicts) rather than reading code
  pip_cal python-pydantic-models bytecode "pydantic==2.14.4" "from pydantic import BaseModel, Field

class Item(BaseModel):
    name: str
    price: float = Field(gt=0)

class Order(BaseModel):
    id: str
    items: list[Item]"
  pip_cal python-fastapi bytecode "fastapi==0.165.0 mangum==0.22.0" "from fastapi import FastAPI
from mangum import Mangum

app = FastAPI()

@app.get('/items/{item_id}')
def read_item(item_id: int):
    return {'item_id': item_id}

handler = Mangum(app)"
  pip_cal python-openai bytecode "openai==3.57.0" "from openai import OpenAI
client = OpenAI(api_key='calibration')"
  pip_cal python-aiohttp bytecode "aiohttp==3.14.5" "import aiohttp"
  pip_cal python-marshmallow bytecode "marshmallow==4.4.0" "import marshmallow"
  # boto3 from the runtime (measure takes it from this Python's site-packages)
  pip_cal python-boto3-provided bytecode "" "import boto3"
  pip_cal python-boto3-provided-client bytecode "" "import boto3
s3 = boto3.client('s3', region_name='us-east-1')"
  ;;
*)
  echo "usage: samples/build.sh [small|large|calibrate]" >&2
  exit 2
  ;;
esac

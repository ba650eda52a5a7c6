#!/usr/bin/env python3
"""Fits deadweight's init-time model and writes rules/init-model.toml (with
the timed runtime modules in rules/runtime-modules.json).

For every calibration function (samples/build.sh calibrate, plus the
committed samples) it takes the model's inputs from `deadweight audit
--format json` (files, code bytes, native modules, Python source compiled
at start) and the real init time from `deadweight measure`, then fits, per
runtime family,

    init ms = base + a * MiB of code + t * 100,000 JavaScript tokens
                   + b * files + c * native modules
                   + d * MiB of Python source compiled (no usable bytecode)
                   + e * ms of the runtime's own modules imported
                   + f * Python classes the loaded modules create
                   + g * Node ES modules loaded
                   + h * MiB of CommonJS modules that ES modules import

where the last term sums the measured self time of every standard-library
or built-in module the init imports (each once, with what it imports), and
for Python of what the runtime provides beside it (boto3 and its
dependencies, timed from this machine's site-packages), plus the boto3
clients and resources the function's own modules create at module scope
(a first one's setup, then each service's model). The Node runtime's AWS
SDK counts as the same code bundled (what requiring each package loads,
its tokens counted by acorn, installed into bench/out/tools).

by least squares on relative error (a 10 ms function counts as much as a
1 s one), coefficients kept non-negative. The estimate's range comes from
the residuals: the 10th and 90th percentile of measured / estimated.

    samples/build.sh calibrate && cargo build --release
    python3 bench/calibrate.py [--runs 10] [--dry-run]
    python3 bench/calibrate.py --refit [--provided | --node-packages]   # from bench/out/calibration.json
    python3 bench/calibrate.py --extend NAME [NAME ...] [--rounds 5]
    python3 bench/calibrate.py --reaudit [--dry-run]

--reaudit refits the committed measurements with the inputs the current
build computes, for every committed function whose zip is here (the
committed samples; calibration zips only if built when they were timed:
a rebuild takes today's releases of their dependencies), when the audit
has come to see the same functions differently (a branch Lambda never
takes no longer followed, say). It times nothing, and the model keeps the
machine its measurements were taken on.

--extend adds calibration functions to the committed fit without timing the
rest again: this machine's speed drifts by 2-3x from day to day, so each
new function is timed in rounds together with the committed functions of
its family that are still what they were when timed (same inputs) and
over 20 ms, and each round's times are divided by how much slower those
run in that round than when they were committed (the median ratio). The
committed functions keep the inputs they were timed with; only inputs the
model gained later (classes, ES modules, tokens) come from the current build. To
time a committed function again, delete its [[...sample]] entry from
rules/init-model.toml first.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "deadweight")
MODEL = os.path.join(ROOT, "rules", "init-model.toml")
RUNTIME_MODULES = os.path.join(ROOT, "rules", "runtime-modules.json")
MIB = 1024 * 1024
NOISE_MS = 2.0
TERMS = ["base", "code_mib", "tokens_100k", "files", "native", "compiled_mib", "runtime_ms", "classes", "es_modules",
         "commonjs_imported_mib", "inline_map_mib", "source_map_mib"]


def local_python():
    return "python%d.%d" % sys.version_info[:2]


def samples():
    """(family, repo-relative path) of every function the model is fitted on."""
    found = [("node", "samples/node-express.zip"), ("python", "samples/python-requests.zip")]
    directory = os.path.join(ROOT, "samples", "build", "calibrate")
    if not os.path.isdir(directory):
        sys.exit("no samples/build/calibrate: run samples/build.sh calibrate first")
    for name in sorted(os.listdir(directory)):
        if name.endswith(".zip"):
            family = "node" if name.startswith("node-") else "python"
            found.append((family, "samples/build/calibrate/" + name))
    return found


def runtime_of(family):
    return "nodejs20.x" if family == "node" else local_python()


def environment(path):
    """The function's environment, `NAME=VALUE` lines of the .env file
    beside its zip (NODE_OPTIONS=--enable-source-maps), as --env arguments
    of both its audit and its measure."""
    env = os.path.join(ROOT, path[:-4] + ".env")
    if not os.path.exists(env):
        return []
    with open(env) as f:
        return [arg for line in f.read().split("\n") if line.strip() for arg in ("--env", line.strip())]


def measure_args(path, family, runs):
    return ["measure", path, "--runtime", runtime_of(family), "--runs", str(runs), "--format", "json", *environment(path)]


def deadweight(*args):
    out = subprocess.run([BIN, *args], cwd=ROOT, capture_output=True, text=True)
    if out.returncode not in (0, 1):
        raise RuntimeError("deadweight %s: %s" % (" ".join(args), out.stderr.strip()))
    return json.loads(out.stdout)


PY_LIST = r"""
import sys, pkgutil, importlib.util
skip = {"antigravity", "this", "idlelib", "tkinter", "turtle", "turtledemo", "test",
        "lib2to3", "ensurepip", "venv", "pydoc_data"}
names = set()
for top in sorted(sys.stdlib_module_names):
    if top.startswith("_") or top in skip:
        continue
    try:
        spec = importlib.util.find_spec(top)
    except Exception:
        continue
    if spec is None:
        continue
    names.add(top)
    for m in pkgutil.iter_modules(spec.submodule_search_locations or [], top + "."):
        if ".test" not in m.name and not m.name.startswith("encodings.") and "__main__" not in m.name:
            names.add(m.name)
print("\n".join(sorted(names)))
"""

NODE_ONE = r"""
const name = process.argv[1];
const before = new Set(process.moduleLoadList);
const start = process.hrtime.bigint();
require(name);
const ms = Number(process.hrtime.bigint() - start) / 1e6;
const added = process.moduleLoadList.filter((m) => !before.has(m)).map((m) => m.replace(/^NativeModule /, ""));
console.log(JSON.stringify({ ms, added }));
"""


def importtime_tree(text):
    """-X importtime output -> [(module, self_us, children)]; children print first."""
    pending = {}
    out = []
    for line in text.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        _, self_us, _, name = line.split("|", 1)[0], line.split(":", 1)[1].split("|")[0], None, line.split("|")[-1]
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
        module = name.strip()
        children = pending.pop(depth + 1, [])
        out.append((module, float(self_us), children))
        pending.setdefault(depth, []).append(module)
    return out


def python_runtime_modules(runs):
    """Self time and direct imports of every standard-library module, each
    imported alone in fresh `python3 -S` processes (what the measure harness
    runs); modules already loaded at startup cost nothing."""
    # what the measure harness imports before it starts the clock
    startup = {m for m, _, _ in importtime_tree(run([sys.executable, "-S", "-X", "importtime", "-c", "import sys, time, json"], stderr=True))}
    names = run([sys.executable, "-S", "-c", PY_LIST]).split()
    self_times, imports = {}, {}
    for name in names:
        for _ in range(runs):
            text = run([sys.executable, "-S", "-X", "importtime", "-c", "import " + name], check=False, stderr=True)
            for module, self_us, children in importtime_tree(text):
                if module in startup:
                    continue
                self_times.setdefault(module, []).append(self_us)
                imports.setdefault(module, set()).update(c for c in children if c not in startup)
    return {m: (median(t), sorted(imports[m])) for m, t in self_times.items()}


PROVIDED_PREFIX = r"""
import sys, site
from importlib.machinery import PathFinder
names = set(sys.argv[1].split(","))
dirs = site.getsitepackages() + [site.getusersitepackages()]
class RuntimeProvided:
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if path is None and name in names:
            return PathFinder.find_spec(name, dirs)
        return None
sys.meta_path.append(RuntimeProvided)
"""


def python_provided():
    """The modules every Python runtime provides beside the standard
    library (rules/runtimes.toml: boto3 and what it needs)."""
    import tomllib
    with open(os.path.join(ROOT, "rules", "runtimes.toml"), "rb") as f:
        runtimes = tomllib.load(f)["runtime"]
    lists = [set(r.get("provides", {}).get("python", [])) for r in runtimes if r["family"] == "python"]
    return sorted(set.intersection(*lists))


def python_provided_modules(runs):
    """Self time and direct imports of the modules of what the runtime
    provides (boto3, botocore, ...), imported as the measure harness does:
    from this Python's site-packages, after nothing else. Modules of the
    standard library are timed by python_runtime_modules."""
    provided = python_provided()
    names = ",".join(provided)
    startup = {m for m, _, _ in importtime_tree(run([sys.executable, "-S", "-X", "importtime", "-c", PROVIDED_PREFIX, names], stderr=True))}
    self_times, imports = {}, {}
    for name in provided:
        for _ in range(runs):
            text = run([sys.executable, "-S", "-X", "importtime", "-c", PROVIDED_PREFIX + "import " + name, names], check=False, stderr=True)
            for module, self_us, children in importtime_tree(text):
                if module in startup or module.split(".")[0] not in provided:
                    continue
                self_times.setdefault(module, []).append(self_us)
                imports.setdefault(module, set()).update(c for c in children if c not in startup)
    return {m: (median(t), sorted(imports[m])) for m, t in self_times.items()}


# services whose boto3 clients are timed; any other is priced at the median
BOTO3_SERVICES = [
    "s3", "dynamodb", "sqs", "sns", "secretsmanager", "ssm", "lambda", "events",
    "kinesis", "sts", "kms", "ses", "sesv2", "stepfunctions", "cognito-idp",
    "cloudwatch", "logs", "firehose", "athena", "rds-data",
]

BOTO3_CALL = r"""
import time, json, boto3
kind, service, warm = sys.argv[2], sys.argv[3], sys.argv[4]
if warm:
    warm_kind, warm_service = warm.split(":")
    getattr(boto3, warm_kind)(warm_service, region_name="us-east-1")
start = time.perf_counter()
getattr(boto3, kind)(service, region_name="us-east-1")
print(json.dumps((time.perf_counter() - start) * 1e6))
"""


def boto3_calls(runs):
    """What creating a boto3 client (or resource) at module scope costs: a
    first one sets up the session's loader and endpoint data, and each
    loads its service's model. For each service, its time as the first
    and after a client of another service ("after"); the setup is the
    median difference."""
    names = ",".join(python_provided())
    env = dict(os.environ, AWS_DEFAULT_REGION="us-east-1", AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x")
    calls = {}
    # a resource is timed after a client, as functions that make both do
    for kind, services in (("client", BOTO3_SERVICES), ("resource", ["s3", "dynamodb", "sqs", "sns"])):
        first, after = {}, {}
        for service in services:
            for label, warmup in (("first", ""), ("after", "client:sts" if service != "sts" else "client:s3")):
                times = []
                for _ in range(runs):
                    out = subprocess.run([sys.executable, "-S", "-c", PROVIDED_PREFIX + BOTO3_CALL, names, kind, service, warmup],
                                         capture_output=True, text=True, env=env)
                    if out.returncode == 0:
                        times.append(float(out.stdout.strip().splitlines()[-1]))
                if times:
                    (first if label == "first" else after)[service] = median(times)
        if after:
            setup = median([first[s] - after[s] for s in after if s in first])
            calls["boto3." + kind] = {"setup_us": round(max(setup, 0.0), 1), "services_us": {s: round(t, 1) for s, t in sorted(after.items())}}
    return calls


# The AWS SDK for JavaScript that nodejs18.x and later provide in
# /var/runtime/node_modules: the packages recorded, at one release
NODE_SDK_VERSION = "3.699.0"
# counts the tokens of the runtime SDK's files
ACORN_VERSION = "8.19.0"
NODE_SDK = [
    "client-s3", "client-dynamodb", "lib-dynamodb", "util-dynamodb", "client-sqs",
    "client-sns", "client-secrets-manager", "client-ssm", "client-lambda",
    "client-eventbridge", "client-kinesis", "client-sts", "client-kms", "client-ses",
    "client-sesv2", "client-sfn", "client-cognito-identity-provider", "client-cloudwatch",
    "client-cloudwatch-logs", "client-firehose", "client-athena", "s3-request-presigner",
    "lib-storage", "credential-providers",
]

NODE_PACKAGES = r"""
const Module = require('module');
const fs = require('fs');
const name = process.argv[1];
const load = Module._load;
const edges = new Map();
const stack = [];
const pkgOf = (file) => {
  const i = file.lastIndexOf('/node_modules/');
  if (i < 0) return null;
  const p = file.slice(i + 14).split('/');
  return p[0].startsWith('@') ? p[0] + '/' + p[1] : p[0];
};
Module._load = function (request, parent, isMain) {
  let file = null;
  try { file = Module._resolveFilename(request, parent, isMain); } catch {}
  const pkg = file && pkgOf(file);
  const up = stack[stack.length - 1];
  // a built-in the package requires: its time is in the built-ins' table
  if (!pkg && up && Module.isBuiltin(request)) {
    if (!edges.has(up)) edges.set(up, new Set());
    edges.get(up).add(request.replace(/^node:/, ''));
  }
  if (!pkg) return load.apply(this, arguments);
  if (up && up !== pkg) {
    if (!edges.has(up)) edges.set(up, new Set());
    edges.get(up).add(pkg);
  }
  stack.push(pkg);
  try { return load.apply(this, arguments); } finally { stack.pop(); }
};
const acorn = require(process.env.ACORN);
const tokens = (file) => {
  if (!/\.[cm]?js$/.test(file)) return 0;
  const text = fs.readFileSync(file, 'utf8');
  for (const sourceType of ['module', 'script']) {
    try {
      let n = 0;
      for (const _ of acorn.tokenizer(text, { ecmaVersion: 'latest', sourceType, allowHashBang: true, allowReturnOutsideFunction: true })) n++;
      return n;
    } catch {}
  }
  return 0;
};
const before = new Set(Object.keys(require.cache));
require(name);
const packages = {};
for (const file of Object.keys(require.cache)) {
  const pkg = !before.has(file) && pkgOf(file);
  if (!pkg) continue;
  const row = packages[pkg] || (packages[pkg] = { files: 0, bytes: 0, tokens: 0, imports: [...(edges.get(pkg) || [])].sort() });
  row.files += 1;
  row.bytes += fs.statSync(file).size;
  row.tokens += tokens(file);
}
console.log(JSON.stringify(packages));
"""


def node_provided_packages():
    """What requiring each package of the runtime's AWS SDK loads: files,
    bytes, and the packages and built-ins it requires, installed from the
    registry at NODE_SDK_VERSION into bench/out/node-sdk. The model prices
    them like the same code bundled (code MiB, files, built-ins)."""
    directory = os.path.join(ROOT, "bench", "out", "node-sdk")
    if not os.path.isdir(os.path.join(directory, "node_modules")):
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, "package.json"), "w") as f:
            f.write('{"name": "runtime-sdk", "private": true}\n')
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"]
                       + ["@aws-sdk/%s@%s" % (p, NODE_SDK_VERSION) for p in NODE_SDK],
                       cwd=directory, check=True)
    # acorn counts the tokens, as deadweight's parser does (within 1%)
    tools = os.path.join(ROOT, "bench", "out", "tools")
    if not os.path.isdir(os.path.join(tools, "node_modules", "acorn")):
        os.makedirs(tools, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", tools, "--no-audit", "--no-fund", "--loglevel=error", "acorn@%s" % ACORN_VERSION], check=True)
    env = dict(os.environ, ACORN=os.path.join(tools, "node_modules", "acorn"))
    found = {}
    for name in NODE_SDK:
        out = subprocess.run(["node", "-e", NODE_PACKAGES, "@aws-sdk/" + name], cwd=directory, env=env, capture_output=True, text=True, check=True).stdout
        for pkg, row in json.loads(out).items():
            seen = found.setdefault(pkg, {"files": 0, "bytes": 0, "tokens": 0, "imports": set()})
            # a package loads more files when more of its entry points are asked for
            if row["bytes"] > seen["bytes"]:
                seen["files"], seen["bytes"], seen["tokens"] = row["files"], row["bytes"], row["tokens"]
            seen["imports"].update(row["imports"])
    table = {pkg: {"files": r["files"], "bytes": r["bytes"], "tokens": r["tokens"], "imports": sorted(r["imports"])} for pkg, r in sorted(found.items())}
    for pkg, row in table.items():
        row["esm_entry_bytes"] = commonjs_entry_bytes(directory, pkg)
    return table


def commonjs_entry_bytes(directory, package):
    """Bytes of the CommonJS file an ES module's `import` of the package
    loads (Node reads it once more for its export names); 0 when the
    import loads an ES module."""
    url = run(["node", "--input-type=module", "-e", "console.log(import.meta.resolve(process.argv[1]))", package], cwd=directory).strip()
    if not url.startswith("file://"):
        return 0
    path = url[len("file://"):]
    if path.endswith(".mjs") or not (path.endswith(".js") or path.endswith(".cjs")):
        return 0
    if path.endswith(".js"):
        folder = os.path.dirname(path)
        while folder.startswith(directory):
            manifest = os.path.join(folder, "package.json")
            if os.path.exists(manifest):
                with open(manifest) as f:
                    if json.load(f).get("type") == "module":
                        return 0
                break
            folder = os.path.dirname(folder)
    return os.path.getsize(path)


def node_runtime_modules(runs):
    """Node's built-in modules: the internal modules each one loads when
    required alone in a fresh process, with its time shared among them."""
    names = json.loads(run(["node", "-p", "JSON.stringify(require('module').builtinModules.filter((m) => !m.startsWith('_')))"]))
    shares, imports = {}, {}
    for name in names:
        for _ in range(runs):
            out = run(["node", "-e", NODE_ONE, name], check=False).strip()
            if not out.startswith("{"):
                continue
            one = json.loads(out.splitlines()[-1])
            added = [m for m in one["added"] if m != name]
            imports.setdefault(name, set()).update("internal:" + m for m in added)
            for m in added:
                shares.setdefault("internal:" + m, []).append(one["ms"] * 1000 / len(added))
    table = {m: (median(v), []) for m, v in shares.items()}
    table.update({m: (0.0, sorted(v)) for m, v in imports.items()})
    return table


def median(values):
    values = sorted(values)
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def run(cmd, check=True, stderr=False, cwd=None):
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    if check and out.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), out.stderr.strip()[-300:]))
    return out.stderr if stderr else out.stdout


def inputs(path, family):
    """The model's inputs, as the audit computes them."""
    report = deadweight("audit", path, "--runtime", runtime_of(family), "--format", "json", *environment(path))
    init = report["artifacts"][0]["init"]
    return {
        "files": init["loaded_files"],
        "code_bytes": init["loaded_bytes"] - init["native_bytes"],
        "code_tokens": init["code_tokens"],
        "native": init["native_files"],
        "compiled_bytes": init["compiled_bytes"],
        "classes": init["classes"],
        "es_modules": init["es_modules"],
        "commonjs_imported_bytes": init["commonjs_imported_bytes"],
        "inline_map_bytes": init["inline_map_bytes"],
        # what Node parses: the maps named, when source maps are enabled
        "source_map_bytes": init["source_map_bytes"] if init["source_maps_enabled"] else 0,
        "runtime_modules": init["runtime_modules"],
        "priced_calls": init.get("priced_calls", []),
    }


def runtime_ms(names, table):
    """Self times summed over every module the names load, each once (the
    same walk as deadweight's estimate)."""
    seen, stack, total = set(), list(names), 0.0
    while stack:
        name = stack.pop()
        if name not in table or name in seen:
            continue
        seen.add(name)
        total += table[name][0]
        stack.extend(table[name][1])
    return total / 1000


def calls_ms(calls, table):
    """What the module-scope calls cost (the same sum as deadweight's
    estimate): per session (`boto3` the default one, a variable holding a
    Session, or `boto3.Session()` made on the spot, one per call) the
    largest setup once, then each distinct call's service."""
    setups, total = {}, 0.0
    # the same client twice in one session loads nothing more; a Session
    # made on the spot is new each time, however alike the code
    counted = sorted(c for c in calls if c.startswith("boto3.Session()")) + sorted(
        {c for c in calls if not c.startswith("boto3.Session()")}
    )
    for call in counted:
        name, _, service = call.rpartition("('")
        session, _, kind = name.rpartition(".")
        priced = table.get(f"boto3.{kind}")
        if priced is None or not session:
            continue
        if session == "boto3.Session()":
            total += priced["setup_us"]
        else:
            setups[session] = max(setups.get(session, 0.0), priced["setup_us"])
        times = priced["services_us"]
        total += times.get(service.rstrip("')"), median(list(times.values())))
    return (sum(setups.values()) + total) / 1000


def sample_inputs(path, family, tables):
    """A sample's inputs as the audit computes them, runtime costs summed."""
    sample = {"path": path, **inputs(path, family)}
    sample["runtime_ms"] = runtime_ms(sample.pop("runtime_modules"), tables[family])
    calls = sample.pop("priced_calls")
    if family == "python":
        sample["runtime_ms"] += calls_ms(calls, tables.get("python_calls", {}))
    return sample


def row(sample):
    return {
        "base": 1.0,
        "code_mib": sample["code_bytes"] / MIB,
        "tokens_100k": sample.get("code_tokens", 0) / 1e5,
        "files": float(sample["files"]),
        "native": float(sample["native"]),
        "compiled_mib": sample["compiled_bytes"] / MIB,
        "runtime_ms": sample["runtime_ms"],
        "classes": float(sample["classes"]),
        "es_modules": float(sample.get("es_modules", 0)),
        "commonjs_imported_mib": sample.get("commonjs_imported_bytes", 0) / MIB,
        "inline_map_mib": sample.get("inline_map_bytes", 0) / MIB,
        "source_map_mib": sample.get("source_map_bytes", 0) / MIB,
    }


def solve(matrix, vector):
    """Gaussian elimination with partial pivoting; None when singular."""
    n = len(vector)
    a = [list(r) + [v] for r, v in zip(matrix, vector)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        if abs(a[pivot][col]) < 1e-12:
            return None
        a[col], a[pivot] = a[pivot], a[col]
        for r in range(n):
            if r != col:
                f = a[r][col] / a[col][col]
                a[r] = [x - f * y for x, y in zip(a[r], a[col])]
    return [a[i][n] / a[i][i] for i in range(n)]


def fit(data):
    """Least squares on symmetric relative error — each residual divided by
    the mean of measured and estimated, close to the error of the logs, which
    is what "within x1.5" asks — by reweighting from the previous fit ten
    times, each fit non-negative."""
    scale = {s["path"]: floor(s["measured_ms"]) for s in data}
    model = None
    for _ in range(10):
        model = fit_weighted(data, scale)
        scale = {s["path"]: (floor(s["measured_ms"]) + floor(predict(model, s))) / 2 for s in data}
    return model


def fit_weighted(data, scale):
    """The non-negative least-squares fit: of every set of terms whose
    unconstrained fit has no negative coefficient, the one with the least
    (weighted) squared error."""
    usable = [t for t in TERMS if any(row(s)[t] for s in data)]
    ys = [s["measured_ms"] / scale[s["path"]] for s in data]
    best, best_error = None, None
    for mask in range(1, 1 << len(usable)):
        terms = [t for i, t in enumerate(usable) if mask >> i & 1]
        xs = [[row(s)[t] / scale[s["path"]] for t in terms] for s in data]
        ata = [[sum(x[i] * x[j] for x in xs) for j in range(len(terms))] for i in range(len(terms))]
        aty = [sum(x[i] * y for x, y in zip(xs, ys)) for i in range(len(terms))]
        coef = solve(ata, aty)
        if coef is None or any(c < 0 for c in coef):
            continue
        error = sum((y - sum(c * v for c, v in zip(coef, x))) ** 2 for x, y in zip(xs, ys))
        if best_error is None or error < best_error:
            best, best_error = dict(zip(terms, coef)), error
    if best is None:
        raise RuntimeError("no non-negative fit of the terms %s" % usable)
    model = dict.fromkeys(TERMS, 0.0)
    model.update(best)
    return model


def floor(ms):
    """Below this, a measured init is within the harness's noise: relative
    error means nothing there."""
    return max(ms, NOISE_MS)


def agrees(measured, estimated):
    return abs(measured - estimated) <= NOISE_MS or 1 / 1.5 <= measured / estimated <= 1.5


def predict(model, sample):
    r = row(sample)
    return sum(model[t] * r[t] for t in TERMS)


def percentile(values, q):
    values = sorted(values)
    rank = max(0, min(len(values) - 1, round(q * (len(values) - 1))))
    return values[rank]


def cpu():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--dry-run", action="store_true", help="print, do not write the model")
    parser.add_argument("--refit", action="store_true", help="reuse bench/out/calibration.json, measure nothing")
    parser.add_argument("--provided", action="store_true", help="with --refit: time again what the runtimes provide (boto3, boto3 clients, the AWS SDK for JavaScript)")
    parser.add_argument("--node-packages", action="store_true", help="with --refit: record again what the Node runtime's AWS SDK packages load (no timing)")
    parser.add_argument("--extend", nargs="+", metavar="NAME", help="add these functions of samples/build/calibrate to the committed fit, timed against it")
    parser.add_argument("--rounds", type=int, default=5, help="with --extend: rounds of timing")
    parser.add_argument("--reaudit", action="store_true", help="refit the committed measurements with the current build's inputs")
    args = parser.parse_args()
    if not os.path.exists(BIN) and not args.refit:
        sys.exit("build first: cargo build --release")

    cache = os.path.join(ROOT, "bench", "out", "calibration.json")
    kept = None
    if args.reaudit:
        tables, families, versions, args.runs = committed()
        kept = committed_fit()
        for family, rows in families.items():
            for i, sample in enumerate(rows):
                if not os.path.exists(os.path.join(ROOT, sample["path"])):
                    continue
                now = sample_inputs(sample["path"], family, tables)
                # runtime_ms is a sum of floats: rounding is no change
                changed = [
                    "%s %s -> %s" % (k, sample.get(k, 0), v) for k, v in now.items()
                    if (abs(sample.get(k, 0) - v) >= 0.01 if k == "runtime_ms" else sample.get(k, 0) != v)
                ]
                print("%s: %s" % (sample["path"], "; ".join(changed) or "unchanged"), file=sys.stderr)
                if changed:
                    rows[i] = {**sample, **now}
                    kept[family]["changed"] = True
    elif args.extend:
        tables, families, versions, args.runs = extend(set(args.extend), args.rounds)
        os.makedirs(os.path.dirname(cache), exist_ok=True)
        with open(cache, "w") as f:
            json.dump({"tables": tables, "families": families, "versions": versions, "runs": args.runs}, f)
    elif args.refit:
        with open(cache) as f:
            saved = json.load(f)
        tables, families, versions = saved["tables"], saved["families"], saved["versions"]
        args.runs = saved["runs"]
        if args.node_packages and not args.provided:
            # what the samples bundle is theirs: their inputs stand
            tables["node_packages"] = node_provided_packages()
            with open(cache, "w") as f:
                json.dump(saved, f)
        if args.provided:
            tables["python"].update(python_provided_modules(3))
            tables["python_calls"] = boto3_calls(3)
            tables["node_packages"] = node_provided_packages()
            # the same measurements, with the inputs as the audit now
            # computes them (a sample creating a boto3 client gains its cost)
            for family, rows in families.items():
                for i, sample in enumerate(rows):
                    rows[i] = {**sample, **sample_inputs(sample["path"], family, tables)}
            with open(cache, "w") as f:
                json.dump(saved, f)
    else:
        tables, families, versions = measure_all(args.runs)
        os.makedirs(os.path.dirname(cache), exist_ok=True)
        with open(cache, "w") as f:
            json.dump({"tables": tables, "families": families, "versions": versions, "runs": args.runs}, f)
    write(args, tables, families, versions, kept)


def committed_fit():
    """Per family, the machine the committed functions were timed on and
    the date of the fit (kept unless its inputs change)."""
    import tomllib

    with open(MODEL, "rb") as f:
        model = tomllib.load(f)
    return {
        family: {"machine": model[family]["machine"], "fitted": model[family]["fitted"], "changed": False}
        for family in ("node", "python")
    }


def committed():
    """The committed fit's timed modules, functions (with their measured
    init) and runtime versions, as bench/out/calibration.json holds them."""
    import tomllib

    with open(RUNTIME_MODULES) as f:
        modules = json.load(f)
    tables = {
        family: {name: (m["self_us"], m.get("imports", [])) for name, m in modules[family].items()}
        for family in ("node", "python")
    }
    tables["python_calls"] = modules.get("python_calls", {})
    tables["node_packages"] = modules.get("node_packages", {})
    with open(MODEL, "rb") as f:
        model = tomllib.load(f)
    families = {family: [dict(s) for s in model[family]["sample"]] for family in ("node", "python")}
    versions = {family: model[family]["runtime"].split(" ", 1)[1] for family in ("node", "python")}
    return tables, families, versions, model["python"]["runs_per_sample"]


def extend(names, rounds):
    """The committed fit plus the named functions, timed against it."""
    tables, families, versions, runs = committed()
    today = datetime.date.today().isoformat()
    for family, rows in families.items():
        known = {s["path"]: s["measured_ms"] for s in rows}
        new = [p for f, p in samples() if f == family and os.path.basename(p)[:-4] in names and p not in known]
        if not new:
            continue
        # the committed functions that are today what they were when timed
        # (a rebuild may have changed them), out of the harness's noise
        same = ("files", "code_bytes", "native", "compiled_bytes")
        references = [
            s["path"] for s in rows
            if s["measured_ms"] >= 20 and all(inputs(s["path"], family)[k] == s[k] for k in same)
        ]
        print("%s references: %s" % (family, ", ".join(os.path.basename(p) for p in references)), file=sys.stderr)
        times = {p: [] for p in references + new}
        for round_ in range(rounds):
            for path in references + new:
                measured = deadweight(*measure_args(path, family, runs))
                times[path].append(measured["median_ms"])
            print("round %d: references at %.2fx their committed times" % (round_ + 1, median([times[p][-1] / known[p] for p in references])), file=sys.stderr)
        slowdown = [median([times[p][r] / known[p] for p in references]) for r in range(rounds)]
        for path in new:
            ms = median([t / k for t, k in zip(times[path], slowdown)])
            note = "timed %s beside %d committed functions, which ran %.2fx slower than committed" % (today, len(references), median(slowdown))
            print("%-48s %6.1f ms (%s)" % (path, ms, note), file=sys.stderr)
            rows.append({"path": path, "measured_ms": round(ms, 1), "note": note, **sample_inputs(path, family, tables)})
    # A committed function keeps the inputs it was timed with: rebuilt
    # today, its zip may differ (dependencies released since, .pyc files
    # whose timestamps the zip kept or not). Inputs the model gained since
    # it was timed (classes, ES modules, tokens), which those leave alone, are
    # taken from the current build.
    gained = ("classes", "es_modules", "commonjs_imported_bytes", "code_tokens", "inline_map_bytes", "source_map_bytes")
    for family, rows in families.items():
        for sample in rows:
            if any(key not in sample for key in gained):
                now = inputs(sample["path"], family)
                for key in gained:
                    sample.setdefault(key, now[key])
    return tables, families, versions, runs


def measure_all(runs):
    print("timing the runtimes' own modules…", file=sys.stderr)
    tables = {"node": node_runtime_modules(3), "python": python_runtime_modules(3)}
    tables["python"].update(python_provided_modules(3))
    tables["python_calls"] = boto3_calls(3)
    tables["node_packages"] = node_provided_packages()
    families = {"node": [], "python": []}
    versions = {}
    for family, path in samples():
        sample = sample_inputs(path, family, tables)
        measured = deadweight(*measure_args(path, family, runs))
        sample["measured_ms"] = round(measured["median_ms"], 1)
        versions[family] = measured["runtime_version"]
        families[family].append(sample)
        print("%-48s %6.1f ms  %5d files  %8.2f MiB" % (path, sample["measured_ms"], sample["files"], sample["code_bytes"] / MIB), file=sys.stderr)
    return tables, families, versions


def write(args, tables, families, versions, kept=None):
    """Writes the fit; `kept` (--reaudit) holds where the measurements were
    taken, and the committed fit's date for a family whose inputs stand."""
    today = datetime.date.today().isoformat()
    out = [
        "# deadweight's init-time model, fitted by bench/calibrate.py: do not edit by hand.",
        "# init ms = base_ms + ms_per_code_mib * MiB of code loaded + ms_per_100k_tokens * 100,000",
        "#           JavaScript tokens loaded + ms_per_file * files loaded",
        "#         + ms_per_native * native modules + ms_per_compiled_mib * MiB of Python source",
        "#           compiled at start (no usable bytecode) + ms_per_runtime_ms * ms of the runtime's",
        "#           own modules imported (costed from rules/runtime-modules.json: each module's",
        "#           self time in us and what it imports) + ms_per_class * Python classes the",
        "#           loaded modules create as they run + ms_per_es_module * files Node loads as ES",
        "#           modules + ms_per_commonjs_imported_mib * MiB of CommonJS modules ES modules import",
        "#         + ms_per_inline_map_mib * MiB of inline source maps in the files loaded",
        "#         + ms_per_source_map_mib * MiB of source maps Node parses (NODE_OPTIONS=--enable-source-maps)",
        "# on the machine below; ratio_low / ratio_high are the 10th and 90th percentile of",
        "# measured / estimated over the samples, and give the estimate's range.",
        "# Refit: samples/build.sh calibrate && cargo build --release && python3 bench/calibrate.py",
        "",
    ]
    table = ["| function | files | code | tokens | measured | estimated | ratio |", "|---|---:|---:|---:|---:|---:|---:|"]
    for family, data in families.items():
        model = fit(data)
        ratios = [floor(s["measured_ms"]) / floor(predict(model, s)) for s in data]
        within = sum(1 for s in data if agrees(s["measured_ms"], predict(model, s)))
        out += [
            "[%s]" % family,
            'fitted = "%s"' % (kept[family]["fitted"] if kept and not kept[family]["changed"] else today),
            'machine = "%s"' % (kept[family]["machine"] if kept else "%s, %d cores" % (cpu(), os.cpu_count())),
            'runtime = "%s %s"' % (family, versions[family]),
            "runs_per_sample = %d" % args.runs,
            "base_ms = %.3f" % model["base"],
            "ms_per_code_mib = %.3f" % model["code_mib"],
            "ms_per_100k_tokens = %.3f" % model["tokens_100k"],
            "ms_per_file = %.4f" % model["files"],
            "ms_per_native = %.3f" % model["native"],
            "ms_per_compiled_mib = %.3f" % model["compiled_mib"],
            "ms_per_runtime_ms = %.3f" % model["runtime_ms"],
            "ms_per_class = %.4f" % model["classes"],
            "ms_per_es_module = %.4f" % model["es_modules"],
            "ms_per_commonjs_imported_mib = %.3f" % model["commonjs_imported_mib"],
            "ms_per_inline_map_mib = %.3f" % model["inline_map_mib"],
            "ms_per_source_map_mib = %.3f" % model["source_map_mib"],
            "ratio_low = %.3f" % percentile(ratios, 0.1),
            "ratio_high = %.3f" % percentile(ratios, 0.9),
            "# %d of %d samples within x1.5 (or %g ms) of the estimate" % (within, len(data), NOISE_MS),
            "",
        ]
        for s, r in zip(data, ratios):
            out += [
                "[[%s.sample]]" % family,
                'path = "%s"' % s["path"],
                'runtime = "%s"' % runtime_of(family),
                "files = %d" % s["files"],
                "code_bytes = %d" % s["code_bytes"],
                "native = %d" % s["native"],
                "compiled_bytes = %d" % s["compiled_bytes"],
                "runtime_ms = %.3f" % s["runtime_ms"],
                "classes = %d" % s["classes"],
            ]
            # Node's own inputs, where a function has them
            for key in ("code_tokens", "es_modules", "commonjs_imported_bytes", "inline_map_bytes", "source_map_bytes"):
                if s.get(key):
                    out.append("%s = %d" % (key, s[key]))
            # a committed function's, when its zip is not built here
            env = environment(s["path"])[1::2] or s.get("env", [])
            if env:
                out.append("env = [%s]" % ", ".join('"%s"' % e for e in env))
            out += [
                "measured_ms = %.1f" % s["measured_ms"],
            ]
            if s.get("note"):
                out.append('note = "%s"' % s["note"])
            out.append("")
            table.append(
                "| %s | %d | %.2f MiB | %s | %.1f ms | %.1f ms | %.2f |"
                % (s["path"][:-4].replace("samples/build/calibrate/", ""), s["files"], s["code_bytes"] / MIB,
                   "{:,}".format(s["code_tokens"]) if s.get("code_tokens") else "", s["measured_ms"], predict(model, s), r)
            )
        print("%s: %s; %d/%d within x1.5" % (family, {k: round(v, 3) for k, v in model.items()}, within, len(data)), file=sys.stderr)
    text = "\n".join(out).rstrip() + "\n"
    modules = runtime_modules_json(tables)
    if args.dry_run:
        print(text)
    else:
        with open(MODEL, "w") as f:
            f.write(text)
        with open(RUNTIME_MODULES, "w") as f:
            f.write(modules)
        print("wrote %s and %s" % (MODEL, RUNTIME_MODULES), file=sys.stderr)
    print("\n".join(table))


def runtime_modules_json(tables):
    """Each family's runtime modules, one per line: self time (us) and imports."""
    families = []
    for family in ("node", "python"):
        rows = [
            '    %s: {"self_us": %.1f, "imports": [%s]}' % (json.dumps(name), self_us, ", ".join(json.dumps(i) for i in imports))
            for name, (self_us, imports) in sorted(tables[family].items())
        ]
        families.append("  %s: {\n%s\n  }" % (json.dumps(family), ",\n".join(rows)))
    # module-scope calls that cost init time (boto3 clients), one per line
    calls = [
        '    %s: {"setup_us": %.1f, "services_us": %s}' % (json.dumps(name), call["setup_us"], json.dumps(call["services_us"]))
        for name, call in sorted(tables.get("python_calls", {}).items())
    ]
    families.append('  "python_calls": {\n%s\n  }' % ",\n".join(calls))
    # the runtime's npm packages (the AWS SDK), priced as the same code bundled
    packages = [
        '    %s: {"files": %d, "bytes": %d, "tokens": %d, "esm_entry_bytes": %d, "imports": [%s]}' % (json.dumps(name), row["files"], row["bytes"], row.get("tokens", 0), row.get("esm_entry_bytes", 0), ", ".join(json.dumps(i) for i in row["imports"]))
        for name, row in sorted(tables.get("node_packages", {}).items())
    ]
    families.append('  "node_packages": {\n%s\n  }' % ",\n".join(packages))
    return "{\n" + ",\n".join(families) + "\n}\n"


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Times `deadweight audit` against the usual ways of listing a zip, in one run.

    python3 bench/run.py            # builds what it needs, prints a Markdown table

Audits keep what they read in bench/out/cache, filled by each command's
untimed first run; `--no-cache` rows read every file again.

Inputs: the aws-sdk v2 function from samples/build.sh (built if missing) and
a generated zip of 50,000 small entries. Peers: `unzip -l` and a Python
`zipfile` listing. Then a real npm lockfile of more than 2,000 packages,
against `npm ls --package-lock-only`, which reads the same lockfile. Last,
import-scanning throughput on a real 7 MB bundle, on the files the aws-sdk v2
handler loads (one core) and on a 5 MB Python tree (when built), and
the cost of the rules on the aws-sdk v2 audit. Each command runs RUNS times; the table shows the median
wall time, the peak resident memory of one run (GNU time), and the ratio to `unzip -l`.
"""

import os
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

RUNS = int(os.environ.get("RUNS", "15"))
ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
BINARY = ROOT / "target" / "release" / "deadweight"


def run_once(argv):
    """Wall seconds of one run, output discarded."""
    start = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        sys.exit(f"{argv[0]} failed ({proc.returncode}): {proc.stderr.decode()}")
    return elapsed


def peak_rss_kib(argv):
    """Peak resident memory of one run, from GNU time (a fork of this Python
    process would carry the interpreter's own memory into the figure)."""
    if not Path("/usr/bin/time").exists():
        return None
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", *argv], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return int(proc.stderr.strip().splitlines()[-1])


def measure(argv):
    return measure_interleaved([argv])[0]


def measure_interleaved(argvs):
    """Median wall time and peak memory of each command, their runs taken in
    turn: the machine's drift during a table falls on every command alike,
    so the ratios between them hold."""
    for argv in argvs:
        run_once(argv)  # warm the page cache
    walls = [[] for _ in argvs]
    for _ in range(RUNS):
        for argv, times in zip(argvs, walls):
            times.append(run_once(argv))
    return [(statistics.median(times), peak_rss_kib(argv)) for argv, times in zip(argvs, walls)]


def many_entries_zip():
    path = OUT / "50k-entries.zip"
    if not path.exists():
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for i in range(50_000):
                pkg = f"node_modules/pkg{i // 100}"
                if i % 100 == 0:
                    z.writestr(f"{pkg}/package.json", f'{{"name":"pkg{i // 100}","version":"1.0.{i}"}}')
                else:
                    z.writestr(f"{pkg}/lib/file{i}.js", f"module.exports = {i};\n" * 5)
    return path


LOCK_PROJECT = {
    "aws-cdk-lib": "2.170.0", "aws-cdk": "2.170.0", "constructs": "10.4.2", "jest": "29.7.0",
    "ts-jest": "29.2.5", "typescript": "5.6.3", "serverless": "3.39.0", "react-scripts": "5.0.1",
    "eslint": "8.57.1", "@nestjs/cli": "10.4.8", "@angular/cli": "18.2.12", "webpack-cli": "5.1.4",
    "@aws-sdk/client-s3": "3.699.0", "@aws-sdk/client-dynamodb": "3.699.0",
}


def big_lockfile():
    """A real npm lockfile of an infrastructure + tooling project (> 2,000 packages)."""
    project = OUT / "big-lockfile"
    lock = project / "package-lock.json"
    if not lock.exists():
        project.mkdir(parents=True, exist_ok=True)
        (project / "package.json").write_text('{"name":"cdk-app","version":"1.0.0","private":true}')
        specs = [f"{name}@{version}" for name, version in LOCK_PROJECT.items()]
        subprocess.run(["npm", "install", "--package-lock-only", "--no-audit", "--no-fund", "--legacy-peer-deps", *specs],
                       cwd=project, check=True, stdout=subprocess.DEVNULL)
    return lock


def lockfile_table():
    lock = big_lockfile()
    import json
    count = len(json.loads(lock.read_text())["packages"]) - 1
    commands = [
        ("`deadweight why typescript` (parse + graph + chains)", [str(BINARY), "why", "typescript", "--format", "json", str(lock)]),
        ("`deadweight audit package-lock.json --format json`", [str(BINARY), "audit", "--format", "json", str(lock)]),
        ("`npm ls --package-lock-only --all --json`", ["npm", "ls", "--package-lock-only", "--all", "--json", "--prefix", str(lock.parent)]),
    ]
    timings = {name: measure(argv) for name, argv in commands}
    baseline = timings[commands[-1][0]][0]
    print(f"\n| lockfile ({count:,} packages) | wall | peak memory | npm ls ÷ this |")
    print("|---|---:|---:|---:|")
    for name, (wall, rss) in timings.items():
        memory = f"{rss / 1024:.1f} MiB" if rss else "n/a"
        print(f"| {name} | {wall * 1000:.1f} ms | {memory} | {baseline / wall:.1f}× |")


def scan_table():
    """Import scanning throughput on a real bundle, on the files the aws-sdk
    v2 handler loads at init (one core: what a first audit's walk parses),
    and on a real Python tree (when the pandas sample is built)."""
    import json
    import zipfile
    work = OUT / "scan"
    aws = ROOT / "samples" / "build" / "node-aws-sdk-v2.zip"
    bundle = work / "bundle" / "index.js"
    if not bundle.exists():
        bundle.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(aws) as z:
            bundle.write_bytes(z.read("node_modules/aws-sdk/dist/aws-sdk.js"))
    init = work / "init"
    if not init.exists():
        report = json.loads(subprocess.run([str(BINARY), "audit", "--format", "json", "--no-cache", str(aws)],
                                           capture_output=True, text=True).stdout)
        with zipfile.ZipFile(aws) as z:
            for name in report["artifacts"][0]["init"]["files"]:
                if name.endswith(".js"):
                    z.extract(name, init)
    tree = work / "python"
    pandas = ROOT / "samples" / "build" / "python-pandas.zip"
    if not tree.exists() and pandas.exists():
        total = 0
        with zipfile.ZipFile(pandas) as z:
            for info in z.infolist():
                if info.filename.endswith(".py") and "/tests/" not in info.filename and total < 5_500_000:
                    z.extract(info, tree)
                    total += info.file_size
    subprocess.run(["cargo", "build", "--release", "--quiet", "--example", "scan_imports"], cwd=ROOT, check=True)
    example = ROOT / "target" / "release" / "examples" / "scan_imports"
    init_files = sorted(str(p) for p in init.rglob("*.js"))
    py_files = [str(p) for p in tree.rglob("*.py")]
    print("\n| import scanning (best of 5) | result |")
    print("|---|---|")
    rows = [("bundled JavaScript (aws-sdk v2 dist/aws-sdk.js)", [str(bundle)], {}),
            ("the aws-sdk v2 handler's init files, one core", init_files, {"RAYON_NUM_THREADS": "1"})]
    if py_files:
        rows.append(("Python tree (pandas sources), all files in parallel", py_files, {}))
    for label, files, env in rows:
        out = subprocess.run([str(example), *files], check=True, capture_output=True, text=True,
                             env=dict(os.environ, **env)).stdout.strip()
        print(f"| {label} | {out} |")

    # the same audit with every rule switched off (no import scanning at all)
    aws = ROOT / "samples" / "build" / "node-aws-sdk-v2.zip"
    ids = subprocess.run([str(BINARY), "rules", "--format", "json"], check=True, capture_output=True, text=True).stdout
    import json
    off = [arg for rule in json.loads(ids) for arg in ("--rule-level", f"{rule['id']}=allow")]
    (with_rules, _), (without, _) = measure_interleaved([
        [str(BINARY), "audit", "--format", "json", str(aws)],
        [str(BINARY), "audit", "--format", "json", *off, str(aws)],
    ])
    print(f"\naws-sdk v2 function: audit with rules {with_rules * 1000:.1f} ms, with every rule off {without * 1000:.1f} ms "
          f"({(with_rules / without - 1) * 100:+.0f}%)")


def bundle_table():
    """A function bundled into one file: aws-sdk v2's 7 MiB browser bundle
    with a handler appended, as index.js alone. Its first audit parses it
    once, for its imports and its handler's clients; a kept one not at all."""
    path = OUT / "bundled-function.zip"
    if not path.exists():
        with zipfile.ZipFile(ROOT / "samples" / "build" / "node-aws-sdk-v2.zip") as z:
            code = z.read("node_modules/aws-sdk/dist/aws-sdk.js")
        entry = zipfile.ZipInfo("index.js")
        entry.compress_type = zipfile.ZIP_DEFLATED
        entry.external_attr = 0o100644 << 16  # readable by Lambda's user, as a build writes it
        with zipfile.ZipFile(path, "w") as z:
            z.writestr(entry, code + b"\nexports.handler = async () => 1;\n")
    kept, first, listing = measure_interleaved([
        [str(BINARY), "audit", "--format", "json", str(path)],
        [str(BINARY), "audit", "--format", "json", "--no-cache", str(path)],
        ["unzip", "-l", str(path)],
    ])
    print(f"\nBundled function (one 7 MiB index.js): audit {kept[0] * 1000:.1f} ms with its readings kept, "
          f"{first[0] * 1000:.1f} ms with `--no-cache`, unzip -l {listing[0] * 1000:.1f} ms")


def diff_table():
    """`deadweight diff` on two JSON reports of 3,000 packages each."""
    import json
    import random
    rng = random.Random(7)
    def report(seed_shift):
        packages = []
        for i in range(3000):
            if (i + seed_shift) % 97 == 0:
                continue  # removed on one side, added on the other
            version = f"1.{i % 13}.{(i + seed_shift) % 5 if i % 11 == 0 else 0}"
            size = 10_000 + (i * 7919) % 500_000 + (seed_shift * 100 if i % 17 == 0 else 0)
            packages.append({"ecosystem": "npm", "name": f"pkg-{i}", "version": version, "path": f"node_modules/pkg-{i}",
                             "unzipped_bytes": size, "zipped_bytes": size // 3, "files": 10, "retained_bytes": size,
                             "direct": i < 20, "dev": None})
        findings = [{"rule": "common/duplicate-package", "level": "warn", "message": f"pkg-{i} twice",
                     "location": {"path": f"node_modules/pkg-{i}"}, "package": f"pkg-{i}"} for i in range(seed_shift, 3000, 50)]
        total = sum(p["unzipped_bytes"] for p in packages)
        return {"schema_version": 1, "tool": {"name": "deadweight", "version": "0"}, "artifacts": [{
            "path": "function.zip", "kind": "zip", "zipped_bytes": total // 3, "unzipped_bytes": total, "files": 30000,
            "packages": packages, "findings": findings, "gate": {"passed": True, "reasons": [], "budgets": []}}]}
    base, head = OUT / "diff-base.json", OUT / "diff-head.json"
    base.write_text(json.dumps(report(0)))
    head.write_text(json.dumps(report(3)))
    wall, rss = measure([str(BINARY), "diff", "--format", "json", str(base), str(head)])
    md, _ = measure([str(BINARY), "diff", "--format", "markdown", str(base), str(head)])
    print(f"\n`deadweight diff` of two reports of 3,000 packages: {wall * 1000:.1f} ms as JSON, {md * 1000:.1f} ms as Markdown"
          f" (peak {rss / 1024:.1f} MiB)" if rss else "")


def without_handler(zip_path, out):
    """A copy of a function zip without its handler, so no init is followed."""
    if not out.exists():
        with zipfile.ZipFile(zip_path) as src, zipfile.ZipFile(out, "w") as dst:
            for info in src.infolist():
                if info.filename not in ("lambda_function.py", "app.py", "index.js"):
                    dst.writestr(info, src.read(info))
    return out


def zipped_tree(tree, out, handler):
    """A function zip of an installed package tree (a registry fixture)."""
    if not out.exists():
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
            for path in sorted(tree.rglob("*")):
                if path.is_file() and path.name != ".complete":
                    z.write(path, path.relative_to(tree).as_posix())
            z.writestr("lambda_function.py", handler)
    return out


def native_table():
    """Reading what every native file needs: the pandas function, and
    opencv-python (its vendored libraries' tables moved to their ends by
    auditwheel) when tests/registry/fetch.sh has installed it."""
    OUT.mkdir(parents=True, exist_ok=True)
    cases = []
    pandas = ROOT / "samples" / "build" / "python-pandas.zip"
    if pandas.exists():
        cases.append(("pandas function", pandas))
    opencv = ROOT / "target" / "registry-fixtures" / "opencv-python"
    if (opencv / ".complete").exists():
        cases.append(("opencv-python function", zipped_tree(opencv, OUT / "opencv-python.zip", "import cv2\n")))
    if not cases:
        return
    print("\n| function | ELF files | audit --runtime python3.12 | same, `--no-cache` | no handler (no init) | same, `--no-cache` | `unzip -l` | ratios |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, path in cases:
        bare = without_handler(path, OUT / f"{path.stem}-no-handler.zip")
        audit = [str(BINARY), "audit", "--format", "json", "--runtime", "python3.12"]
        cached, parsed, native, native_read, listing = measure_interleaved([
            [*audit, str(path)],
            [*audit, "--no-cache", str(path)],
            [*audit, str(bare)],
            [*audit, "--no-cache", str(bare)],
            ["unzip", "-l", str(path)],
        ])
        with zipfile.ZipFile(path) as z:
            elf = sum(1 for info in z.infolist() if not info.is_dir() and z.open(info).read(4) == b"\x7fELF")
        peak = lambda kib: f" (peak {kib / 1024:.1f} MiB)" if kib else ""
        timed = (cached, parsed, native, native_read)
        ratios = " / ".join(f"{wall / listing[0]:.1f}×" for wall, _ in timed)
        walls = " | ".join(f"{wall * 1000:.1f} ms{peak(kib)}" for wall, kib in timed)
        print(f"| {label} ({path.stat().st_size / 1048576:.1f} MiB) | {elf} | {walls} "
              f"| {listing[0] * 1000:.1f} ms | {ratios} |")


def init_table():
    """`deadweight measure` against a hand-written timing loop on the same files."""
    import json
    import tempfile
    cases = [
        ("Express function", ROOT / "samples" / "node-express.zip", "index",
         ["node", "-e", "const t = process.hrtime.bigint(); require(process.argv[1]);"
          " console.log(Number(process.hrtime.bigint() - t) / 1e6)"], "index.js"),
        ("requests function", ROOT / "samples" / "python-requests.zip", "lambda_function",
         ["python3", "-S", "-c", "import sys, time; sys.path.insert(0, sys.argv[1].rsplit('/', 1)[0]);"
          " t = time.perf_counter(); import lambda_function; print((time.perf_counter() - t) * 1000)"],
         "lambda_function.py"),
    ]
    print("\n| function | `deadweight measure` median | hand-written loop median | ratio |")
    print("|---|---:|---:|---:|")
    for label, zip_path, _, argv, entry in cases:
        report = json.loads(subprocess.run(
            [str(BINARY), "measure", "--format", "json", "--runs", str(RUNS), str(zip_path)],
            check=True, capture_output=True, text=True).stdout)
        with tempfile.TemporaryDirectory() as tmp:
            zipfile.ZipFile(zip_path).extractall(tmp)
            for path in Path(tmp).rglob("*"):
                if path.is_file():
                    path.chmod(0o444)
            handler = str(Path(tmp) / entry)
            subprocess.run(argv + [handler], cwd=tmp, capture_output=True)  # warm-up
            loop = statistics.median(
                float(subprocess.run(argv + [handler], cwd=tmp, check=True, capture_output=True,
                                     text=True).stdout.strip().splitlines()[-1])
                for _ in range(RUNS))
            for path in Path(tmp).rglob("*"):
                path.chmod(0o755)
        ours = report["median_ms"]
        print(f"| {label} ({report['runtime']} {report['runtime_version']}) | {ours:.1f} ms | {loop:.1f} ms | {ours / loop:.2f} |")


def reach_table():
    """Files audit says init loads, against the files node really loads (CommonJS)."""
    import json
    print("\n| function | node loads | audit follows | both | audit only |")
    print("|---|---:|---:|---:|---:|")
    for label, zip_path in [("aws-sdk v2 function", ROOT / "samples" / "build" / "node-aws-sdk-v2.zip"),
                            ("Express function", ROOT / "samples" / "node-express.zip")]:
        if not zip_path.exists():
            continue
        real = {m["name"] for m in json.loads(subprocess.run(
            [str(BINARY), "measure", "--format", "json", "--runs", "1", str(zip_path)],
            check=True, capture_output=True, text=True).stdout)["modules"]}
        ours = set(json.loads(subprocess.run(
            [str(BINARY), "audit", "--format", "json", str(zip_path)],
            capture_output=True, text=True).stdout)["artifacts"][0]["init"]["files"])
        print(f"| {label} | {len(real)} | {len(ours)} | {len(real & ours)} | {len(ours - real)} |")


def folder_table():
    """A build folder has no zip yet: audit deflates every file to estimate
    its zipped size, as `zip -r` deflates every file to make the zip.
    `unzip -l` of the sample's zip, timed with them, shows the machine's
    speed that day against the other tables."""
    print("\n| build folder | files | `deadweight audit --format json` | `zip -qr` (to /dev/null) | zip ÷ audit | `unzip -l` of its zip |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, zip_path in [("aws-sdk v2 function", ROOT / "samples" / "build" / "node-aws-sdk-v2.zip"),
                            ("DynamoDB v3 function", ROOT / "samples" / "build" / "node-dynamodb-v3.zip")]:
        if not zip_path.exists():
            continue
        folder = OUT / f"{zip_path.stem}-folder"
        if not folder.exists():
            with zipfile.ZipFile(zip_path) as z:
                z.extractall(folder)
        files = sum(len(names) for _, _, names in os.walk(folder))
        (ours, _), (peer, _), (listing, _) = measure_interleaved([
            [str(BINARY), "audit", "--format", "json", str(folder)],
            ["sh", "-c", f"cd '{folder}' && zip -qr - . > /dev/null"],
            ["unzip", "-l", str(zip_path)],
        ])
        print(f"| {label} | {files:,} | {ours * 1000:.0f} ms | {peer * 1000:.0f} ms | {peer / ours:.1f}× | {listing * 1000:.1f} ms |")


def logs_table():
    """Streaming REPORT records: generated text logs of 256 MiB and 1 GiB
    against grep -c; peak memory shows whether it stays flat."""
    lines = []
    for i in range(2000):
        rid = f"9b1c2f3e-0000-4000-8000-{i:012}"
        stream = "2026/11/20/[$LATEST]5f2d8a0c9e1b4c7d"
        init = f"Init Duration: {400 + i % 97}.50 ms\t" if i % 20 == 0 else ""
        lines.append(f"2026-11-20T10:00:00.000000+00:00 {stream} START RequestId: {rid} Version: $LATEST\n")
        lines.append(f"2026-11-20T10:00:00.050000+00:00 {stream} handled order {i}\n")
        lines.append(f"2026-11-20T10:00:00.100000+00:00 {stream} END RequestId: {rid}\n")
        lines.append(f"2026-11-20T10:00:00.100000+00:00 {stream} REPORT RequestId: {rid}\tDuration: {10 + i % 50}.25 ms\t"
                     f"Billed Duration: {11 + i % 50} ms\tMemory Size: 512 MB\tMax Memory Used: {80 + i % 9} MB\t{init}\n")
    block = "".join(lines).encode()
    for mib in (256, 1024):
        path = OUT / f"report-logs-{mib}.txt"
        if not path.exists():
            with open(path, "wb") as f:
                while f.tell() < mib * 1024 * 1024:
                    f.write(block)
        # grep through a pipe: GNU grep stops at the first match when its output is /dev/null
        ours, grep = measure_interleaved([
            [str(BINARY), "logs", "--format", "json", str(path)],
            ["sh", "-c", f"grep -c 'Init Duration' '{path}' | cat"],
        ])
        print(f"\n`deadweight logs` on {path.stat().st_size / 1048576:.0f} MiB of text logs: {ours[0] * 1000:.0f} ms "
              f"(peak {ours[1] / 1024:.1f} MiB), `grep -c 'Init Duration'` {grep[0] * 1000:.0f} ms ({ours[0] / grep[0]:.2f}×)")


def java_table():
    """A Spring Boot-style fat jar: every real jar Debian installed under
    /usr/share/java, stored under BOOT-INF/lib, against unzip -l."""
    jars = sorted(p for p in Path("/usr/share/java").glob("*.jar") if not p.is_symlink())
    if len(jars) < 50:
        print("\n(fat-jar benchmark skipped: install Debian's lib*-java packages, e.g. "
              "apt-get install libspring-context-java libguice-java libjackson2-databind-java "
              "libnetty-java libbcprov-java libjetty9-java libhttpclient-java)")
        return
    path = OUT / "boot-fat.jar"
    if not path.exists():
        import zipfile
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\nMain-Class: org.springframework.boot.loader.JarLauncher\r\n")
            z.writestr("BOOT-INF/classes/com/example/Handler.class", b"\xca\xfe\xba\xbe")
            for jar in jars:
                z.write(jar, f"BOOT-INF/lib/{jar.name}", compress_type=zipfile.ZIP_STORED)
    ours, unzip = measure_interleaved([[str(BINARY), "audit", "--format", "json", str(path)], ["unzip", "-l", str(path)]])
    print(f"\nSpring Boot-style fat jar ({path.stat().st_size / 1048576:.1f} MiB, {len(jars)} nested jars): "
          f"audit {ours[0] * 1000:.0f} ms (peak {ours[1] / 1024:.1f} MiB), unzip -l {unzip[0] * 1000:.1f} ms "
          f"({ours[0] / unzip[0]:.1f}×)")


def listing_table():
    """The aws-sdk v2 function and 50,000 small entries against the ways of
    listing a zip."""
    aws_sdk = ROOT / "samples" / "build" / "node-aws-sdk-v2.zip"
    if not aws_sdk.exists():
        subprocess.run([str(ROOT / "samples" / "build.sh"), "large"], check=True)
    inputs = [("aws-sdk v2 function", aws_sdk), ("50,000-entry zip", many_entries_zip())]
    python_listing = "import sys, zipfile; [(i.filename, i.file_size, i.compress_size) for i in zipfile.ZipFile(sys.argv[1]).infolist()]"
    print("| input | command | wall | peak memory | vs `unzip -l` |")
    print("|---|---|---:|---:|---:|")
    for label, path in inputs:
        commands = [
            ("`deadweight audit --format json`", [str(BINARY), "audit", "--format", "json", str(path)]),
            ("`deadweight audit --format json --no-cache`", [str(BINARY), "audit", "--format", "json", "--no-cache", str(path)]),
            ("`deadweight audit` (terminal)", [str(BINARY), "audit", "--color", "never", str(path)]),
            ("`unzip -l`", ["unzip", "-l", str(path)]),
            ("Python `zipfile` listing", [sys.executable, "-c", python_listing, str(path)]),
        ]
        timings = dict(zip([name for name, _ in commands], measure_interleaved([argv for _, argv in commands])))
        baseline = timings["`unzip -l`"][0]
        size = path.stat().st_size / 1048576
        for name, (wall, rss) in timings.items():
            memory = f"{rss / 1024:.1f} MiB" if rss else "n/a"
            print(f"| {label} ({size:.1f} MiB) | {name} | {wall * 1000:.1f} ms | {memory} | {wall / baseline:.2f}× |")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    # audits keep what they read here, not in the user's cache; the first
    # run of each command (untimed) fills it, so the plain audit rows are
    # audits of a rebuilt function and the --no-cache rows read every file
    os.environ["DEADWEIGHT_CACHE_DIR"] = str(OUT / "cache")
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    print(f"{RUNS} runs each, median wall time; {os.cpu_count()} cores\n")
    # `bench/run.py logs` runs one table
    only = sys.argv[1:]
    if only:
        for name in only:
            globals()[f"{name}_table"]()
        return
    listing_table()
    bundle_table()
    lockfile_table()
    scan_table()
    diff_table()
    native_table()
    init_table()
    reach_table()
    folder_table()
    logs_table()
    java_table()


if __name__ == "__main__":
    main()

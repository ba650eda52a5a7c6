//! The CI gate: deadweight.toml budgets, rule levels and ignores, baselines,
//! exit codes 0/1/2, and config errors that name file and line.

mod common;

use std::path::Path;

use common::{deadweight, samples_dir};

fn run(dir: &Path, args: &[&str]) -> (i32, serde_json::Value, String) {
    let out = deadweight()
        .current_dir(dir)
        .args(["audit", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or_default();
    (
        out.status.code().unwrap(),
        json,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn express() -> String {
    samples_dir().join("node-express.zip").display().to_string()
}

#[test]
fn without_a_config_warnings_pass_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    let (code, report, _) = run(dir.path(), &[&express()]);
    assert_eq!(code, 0);
    assert_eq!(report["artifacts"][0]["gate"]["passed"], true);
}

#[test]
fn budgets_are_found_upward_and_reported_with_value_and_limit() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("deadweight.toml"),
        "[budgets]\nzipped = \"500 KiB\"\nunzipped = \"10 MiB\"\n",
    )
    .unwrap();
    let nested = dir.path().join("services/orders");
    std::fs::create_dir_all(&nested).unwrap();
    let (code, report, _) = run(&nested, &[&express()]);
    assert_eq!(code, 1);
    let gate = &report["artifacts"][0]["gate"];
    assert_eq!(gate["passed"], false);
    let budgets = gate["budgets"].as_array().unwrap();
    assert_eq!(budgets[0]["budget"], "zipped");
    assert_eq!(budgets[0]["limit"], 512_000);
    assert_eq!(budgets[0]["passed"], false);
    assert_eq!(budgets[1]["passed"], true);
    assert!(gate["reasons"][0]
        .as_str()
        .unwrap()
        .starts_with("budget zipped: "));
}

#[test]
fn rule_levels_and_ignores_with_reasons_and_expiry() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("deadweight.toml"),
        "[rules]\n\"node/heavy-framework\" = \"deny\"\n\"common/docs-and-tests\" = \"deny\"\n\n[[ignore]]\nrule = \"node/heavy-framework\"\npackage = \"express\"\nreason = \"the API moves to lambda-api this quarter\"\nuntil = \"2999-01-01\"\n\n[[ignore]]\nrule = \"common/docs-and-tests\"\nreason = \"pruning lands with the bundler\"\nuntil = \"2020-01-01\"\n\n[[ignore]]\nrule = \"node/whole-aws-sdk-v2\"\nreason = \"no SDK here any more\"\n",
    )
    .unwrap();
    let (code, report, _) = run(dir.path(), &[&express()]);
    let a = &report["artifacts"][0];
    // the expired ignore no longer applies, and docs-and-tests is deny
    assert_eq!(code, 1);
    assert_eq!(a["ignored"][0]["rule"], "node/heavy-framework");
    assert_eq!(
        a["ignored"][0]["reason"],
        "the API moves to lambda-api this quarter"
    );
    assert!(a["ignored"][0]["ignored_by"]
        .as_str()
        .unwrap()
        .ends_with("deadweight.toml:5"));
    let warnings: Vec<String> = a["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| format!("{} {}", w["path"], w["message"]))
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("deadweight.toml:11") && w.contains("expired on 2020-01-01")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("deadweight.toml:16") && w.contains("matched nothing")),
        "{warnings:?}"
    );
    assert!(a["gate"]["reasons"][0]
        .as_str()
        .unwrap()
        .starts_with("common/docs-and-tests"));
}

#[test]
fn a_baseline_makes_known_findings_pass_and_checks_growth() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("deadweight.toml"),
        "[rules]\n\"node/heavy-framework\" = \"deny\"\n",
    )
    .unwrap();
    let (code, baseline, _) = run(dir.path(), &[&express()]);
    assert_eq!(code, 1);
    std::fs::write(
        dir.path().join("baseline.json"),
        serde_json::to_vec(&baseline).unwrap(),
    )
    .unwrap();
    let (code, report, stderr) = run(dir.path(), &["--baseline", "baseline.json", &express()]);
    assert_eq!(code, 0, "{stderr}");
    let heavy = report["artifacts"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "node/heavy-framework")
        .unwrap()
        .clone();
    assert_eq!(heavy["known"], true);

    // growth: the baseline claims a much smaller package
    let mut smaller = baseline.clone();
    smaller["artifacts"][0]["zipped_bytes"] = serde_json::json!(100_000);
    std::fs::write(
        dir.path().join("small.json"),
        serde_json::to_vec(&smaller).unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("deadweight.toml"),
        "[budgets]\ngrowth = \"+10%\"\n",
    )
    .unwrap();
    let (code, report, _) = run(dir.path(), &["--baseline", "small.json", &express()]);
    assert_eq!(code, 1);
    let budget = &report["artifacts"][0]["gate"]["budgets"][0];
    assert_eq!(budget["limit"], 110_000);
    assert!(budget["budget"]
        .as_str()
        .unwrap()
        .starts_with("growth +10%"));
}

#[test]
fn functions_in_the_config_carry_their_facts_and_budgets() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        samples_dir().join("node-express.zip"),
        dir.path().join("orders.zip"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("deadweight.toml"),
        "[[function]]\npath = \"orders.zip\"\nruntime = \"nodejs20.x\"\narchitecture = \"arm64\"\n\n[function.budgets]\nunzipped = \"1 MiB\"\n",
    )
    .unwrap();
    let (code, report, _) = run(dir.path(), &["orders.zip"]);
    assert_eq!(code, 1);
    assert_eq!(report["artifacts"][0]["runtime"], "nodejs20.x");
    assert_eq!(
        report["artifacts"][0]["gate"]["budgets"][0]["budget"],
        "unzipped"
    );
}

fn assert_config_error(config: &str, expected: &str) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("deadweight.toml"), config).unwrap();
    let (code, _, stderr) = run(dir.path(), &[&express()]);
    assert_eq!(code, 2, "{config}");
    assert!(
        stderr.contains(&format!("deadweight.toml:{expected}")),
        "expected {expected:?} in {stderr}"
    );
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
}

#[test]
fn config_errors_name_file_and_line() {
    assert_config_error(
        "[budgets]\nzipped = \"fifty\"\n",
        "2: budget zipped = \"fifty\": expected a size",
    );
    assert_config_error(
        "[budgets]\nzipped = \"50 MiB\"\ncolour = 1\n",
        "3: unknown field `colour`",
    );
    assert_config_error(
        "\n[rules]\n\"node/nope\" = \"deny\"\n",
        "3: [rules] names an unknown rule \"node/nope\"",
    );
    assert_config_error(
        "[rules]\n\"node/heavy-framework\" = \"fatal\"\n",
        "2: level \"fatal\"",
    );
    assert_config_error(
        "[[ignore]]\nrule = \"node/heavy-framework\"\n",
        "1: ignore of node/heavy-framework needs a reason",
    );
    assert_config_error(
        "[[ignore]]\nrule = \"node/heavy-framework\"\nreason = \"x\"\nuntil = \"next week\"\n",
        "4: until \"next week\"",
    );
    assert_config_error(
        "[function]\nruntime = \"nodejs99.x\"\n",
        "2: unknown runtime \"nodejs99.x\"",
    );
    assert_config_error("[budgets]\ninit_ms = \"fast\"\n", "2:");
}

#[test]
fn the_init_ms_budget_fails_only_when_even_the_low_estimate_is_over() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("deadweight.toml");
    std::fs::write(&config, "[budgets]\ninit_ms = 1\n").unwrap();
    let (code, report, _) = run(dir.path(), &[&express()]);
    assert_eq!(code, 1);
    let gate = &report["artifacts"][0]["gate"];
    let init = &gate["budgets"][0];
    assert_eq!(init["budget"], "init_ms");
    assert_eq!(init["passed"], false);
    assert!(init["value"].as_u64().unwrap() > 1, "{init}");
    assert!(gate["reasons"][0]
        .as_str()
        .unwrap()
        .starts_with("budget init_ms: estimated "));

    std::fs::write(&config, "[budgets]\ninit_ms = 60000\n").unwrap();
    let (code, report, _) = run(dir.path(), &[&express()]);
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["artifacts"][0]["gate"]["budgets"][0]["passed"], true);

    // a layer has no handler: the budget cannot be checked and must not pass
    let layer = samples_dir().join("node-layer.zip").display().to_string();
    let (code, report, _) = run(dir.path(), &[&layer]);
    assert_eq!(code, 1);
    assert!(report["artifacts"][0]["gate"]["reasons"][0]
        .as_str()
        .unwrap()
        .contains("what the handler loads is unknown"));
}

#[test]
fn a_broken_baseline_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("b.json"), "{\"hello\": 1}").unwrap();
    let (code, _, stderr) = run(dir.path(), &["--baseline", "b.json", &express()]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("b.json:1: not a deadweight JSON report"),
        "{stderr}"
    );
}

#[test]
fn the_loaded_bytes_budget_checks_what_the_handler_loads() {
    let dir = tempfile::tempdir().unwrap();
    // Express loads about 600 KiB at init
    std::fs::write(
        dir.path().join("deadweight.toml"),
        "[budgets]\nloaded_bytes = \"500 KiB\"\n",
    )
    .unwrap();
    let (code, report, _) = run(dir.path(), &[&express()]);
    assert_eq!(code, 1);
    let gate = &report["artifacts"][0]["gate"];
    assert_eq!(gate["budgets"][0]["budget"], "loaded_bytes");
    assert_eq!(
        gate["budgets"][0]["value"],
        report["artifacts"][0]["init"]["loaded_bytes"]
    );
    assert!(gate["reasons"][0]
        .as_str()
        .unwrap()
        .starts_with("budget loaded_bytes: "));

    std::fs::write(
        dir.path().join("deadweight.toml"),
        "[budgets]\nloaded_bytes = \"1 MiB\"\n",
    )
    .unwrap();
    let (code, _, _) = run(dir.path(), &[&express()]);
    assert_eq!(code, 0);

    // no handler to follow: the budget cannot pass (and the handler's
    // module is not in the package)
    let (code, report, _) = run(dir.path(), &[&express(), "--handler", "missing.handler"]);
    assert_eq!(code, 1);
    let reasons: Vec<&str> = report["artifacts"][0]["gate"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("what the handler loads is unknown")),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.starts_with("runtime/handler-not-found")),
        "{reasons:?}"
    );
}

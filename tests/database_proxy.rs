//! common/database-without-proxy: PostgreSQL or MySQL connections from a
//! function whose environment names an RDS database's own endpoint rather
//! than an RDS Proxy's. The SAM form is the rule's fixture; here the config
//! and Terraform.

mod common;

use common::{audit_with, function, rule_findings};

const RULE: &str = "common/database-without-proxy";

const PSYCOPG: &str = "import os\n\nimport psycopg2\n\nconnection = psycopg2.connect(host=os.environ['DB_HOST'], dbname='orders')\n\n\ndef handler(event, context):\n    with connection.cursor() as cursor:\n        cursor.execute('select 1')\n        return cursor.fetchone()[0]\n";

#[test]
fn an_rds_hostname_in_the_configs_environment_names_the_route() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("deadweight.toml");
    let findings = |host: &str, code: &str| {
        let zip = function(dir.path(), "app.py", code);
        std::fs::write(
            &config,
            format!("[[function]]\nruntime = \"python3.12\"\nhandler = \"app.handler\"\n[function.environment]\nDB_HOST = \"{host}\"\n"),
        )
        .unwrap();
        let config = config.display().to_string();
        let (_, report) = audit_with(&zip, &["--config", config.as_str()]);
        rule_findings(&report, RULE)
    };
    let direct = "orders.cluster-c9akciq32xyz.eu-west-1.rds.amazonaws.com";
    assert_eq!(
        findings(direct, PSYCOPG),
        ["warn `psycopg2.connect(host=os.environ['DB_HOST'], dbname='orders')` opens postgres connections from every execution environment, and the function's environment names the RDS database's own endpoint: each concurrent environment holds its own connections, and each cold start pays for a new one"]
    );
    let proxy = "orders.proxy-c9akciq32xyz.eu-west-1.rds.amazonaws.com";
    assert!(findings(proxy, PSYCOPG).is_empty());
    assert!(findings("localhost", PSYCOPG).is_empty());
    // no relational database in the code: nothing to route
    let dynamo = "import boto3\n\ntable = boto3.resource('dynamodb').Table('orders')\n\n\ndef handler(event, context):\n    return table.get_item(Key={'id': event['id']})\n";
    assert!(findings(direct, dynamo).is_empty());
}

#[test]
fn terraform_names_the_database_or_its_proxy() {
    let (_project, zip, infra) = common::terraform_project("app.py", PSYCOPG);
    let findings = |host: &str| {
        std::fs::write(
            infra.join("main.tf"),
            format!(
                r#"resource "aws_db_instance" "orders" {{
  identifier     = "orders"
  engine         = "postgres"
  instance_class = "db.t4g.micro"
}}

resource "aws_db_proxy" "orders" {{
  name          = "orders"
  engine_family = "POSTGRESQL"
}}

resource "aws_lambda_function" "orders" {{
  function_name = "orders"
  role          = "arn:aws:iam::123456789012:role/orders"
  filename      = "${{path.module}}/../build/function.zip"
  handler       = "app.handler"
  runtime       = "python3.12"

  environment {{
    variables = {{
      DB_HOST = {host}
      STAGE   = "prod"
    }}
  }}
}}
"#
            ),
        )
        .unwrap();
        let (_, report) = audit_with(&zip, &[]);
        assert_eq!(report["artifacts"][0]["runtime"], "python3.12");
        rule_findings(&report, RULE)
    };
    let found = findings("aws_db_instance.orders.address");
    assert_eq!(found.len(), 1);
    assert!(found[0].contains("psycopg2.connect"), "{found:?}");
    assert!(findings("aws_db_proxy.orders.endpoint").is_empty());
}

/// A project template with two functions built into `build/`: one reads
/// the database's own endpoint (directly, or through a parameter's
/// default), the other the proxy's. Each function's own environment
/// decides; the resources its values refer to are defined apart from it.
#[test]
fn each_function_of_a_template_is_judged_by_its_own_environment() {
    let (project, zips) = common::built_project(&[
        ("orders.zip", &[("app.py", PSYCOPG)]),
        ("reports.zip", &[("app.py", PSYCOPG)]),
    ]);
    let (orders, reports) = (&zips[0], &zips[1]);
    let template = |orders_host: &str| {
        format!(
            "Parameters:\n  DbHost:\n    Type: String\n    Default: orders.cluster-c9akciq32xyz.eu-west-1.rds.amazonaws.com\nGlobals:\n  Function:\n    Runtime: python3.12\n    Handler: app.handler\nResources:\n  Db:\n    Type: AWS::RDS::DBCluster\n  Proxy:\n    Type: AWS::RDS::DBProxy\n  Orders:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: build/orders.zip\n      Environment:\n        Variables:\n          DB_HOST: {orders_host}\n  Reports:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: build/reports.zip\n      Environment:\n        Variables:\n          DB_HOST: !GetAtt Proxy.Endpoint\n"
        )
    };
    let findings = |zip: &std::path::Path| {
        let (_, report) = audit_with(zip, &[]);
        rule_findings(&report, RULE).len()
    };
    for host in ["!GetAtt Db.Endpoint.Address", "!Ref DbHost"] {
        std::fs::write(project.path().join("template.yaml"), template(host)).unwrap();
        assert_eq!(findings(orders), 1, "{host}");
        assert_eq!(findings(reports), 0, "{host}");
    }
}

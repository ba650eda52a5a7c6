//! How a function reaches its relational database, as its deployment
//! says: through an RDS instance's or cluster's own endpoint, or through an
//! RDS Proxy. Read from the function's environment variable values: a
//! literal hostname (`*.proxy-*.rds.amazonaws.com` is a proxy's), or a
//! reference to an RDS resource of the template (`!GetAtt
//! Db.Endpoint.Address`, `aws_db_proxy.main.endpoint`).

use serde_json::Value as Json;
use serde_norway::Value;

/// Where the function's database connections go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatabaseRoute {
    /// An RDS instance's or cluster's own endpoint.
    Direct,
    /// An RDS Proxy's endpoint.
    Proxy,
}

/// An RDS hostname in `value`: a proxy's (`.proxy-`) or a database's.
pub fn of_host(value: &str) -> Option<DatabaseRoute> {
    if !value.contains(".rds.amazonaws.com") {
        return None;
    }
    Some(if value.contains(".proxy-") {
        DatabaseRoute::Proxy
    } else {
        DatabaseRoute::Direct
    })
}

/// A CloudFormation resource type's route.
pub fn of_resource_type(kind: &str) -> Option<DatabaseRoute> {
    match kind {
        "AWS::RDS::DBInstance" | "AWS::RDS::DBCluster" => Some(DatabaseRoute::Direct),
        "AWS::RDS::DBProxy" | "AWS::RDS::DBProxyEndpoint" => Some(DatabaseRoute::Proxy),
        _ => None,
    }
}

/// A Terraform resource type's route.
pub fn of_terraform_type(kind: &str) -> Option<DatabaseRoute> {
    match kind {
        "aws_db_instance" | "aws_rds_cluster" | "aws_rds_cluster_instance" => {
            Some(DatabaseRoute::Direct)
        }
        "aws_db_proxy" | "aws_db_proxy_endpoint" => Some(DatabaseRoute::Proxy),
        _ => None,
    }
}

/// Several values' routes as one: a proxy named anywhere may be the one
/// the code uses, so it wins over a database's own endpoint.
pub fn combine(routes: impl IntoIterator<Item = DatabaseRoute>) -> Option<DatabaseRoute> {
    routes.into_iter().max_by_key(|route| match route {
        DatabaseRoute::Direct => 0,
        DatabaseRoute::Proxy => 1,
    })
}

/// The route a SAM or Serverless template's environment values give, for
/// the function deployed from `deployed` (a folder or zip name, as its
/// `CodeUri` or `package.artifact` ends) with what `Globals` or
/// `provider` gives every function; when no function names it, every
/// function's. A value counts when it is an RDS hostname (as written, a
/// parameter's default it refers to, or the `custom:` value a Serverless
/// `${self:custom.…}` names) or a reference to the template's RDS
/// resources. A template that does not parse gives the hostnames written
/// anywhere in it.
pub fn in_yaml(text: &str, deployed: &str) -> Option<DatabaseRoute> {
    let Ok(template) = serde_norway::from_str::<Value>(text) else {
        return combine(
            text.split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | '[' | ']'))
                .filter_map(of_host),
        );
    };
    let resources = template
        .get("Resources")
        .or_else(|| template.get("resources").and_then(|r| r.get("Resources")));
    let names_it = |uri: Option<&Value>| {
        uri.and_then(Value::as_str).is_some_and(|uri| {
            let uri = uri.trim_start_matches("./").trim_end_matches('/');
            uri.rsplit('/').next() == Some(deployed)
        })
    };
    // SAM functions by their properties, Serverless ones by their settings
    let sam: Vec<&Value> = resources
        .and_then(Value::as_mapping)
        .into_iter()
        .flatten()
        .filter_map(|(_, resource)| resource.get("Properties"))
        .collect();
    let serverless: Vec<&Value> = template
        .get("functions")
        .and_then(Value::as_mapping)
        .into_iter()
        .flatten()
        .map(|(_, function)| function)
        .collect();
    // the functions deployed from it (several may share one zip), else all
    let own_sam: Vec<&&Value> = sam.iter().filter(|p| names_it(p.get("CodeUri"))).collect();
    let own_serverless: Vec<&&Value> = serverless
        .iter()
        .filter(|f| names_it(f.get("package").and_then(|p| p.get("artifact"))))
        .collect();
    let (sam, serverless) = match own_sam.is_empty() && own_serverless.is_empty() {
        true => (sam.iter().collect(), serverless.iter().collect()),
        false => (own_sam, own_serverless),
    };
    let mut variables: Vec<&Value> = Vec::new();
    variables.extend(environment(
        template.get("Globals").and_then(|g| g.get("Function")),
    ));
    variables.extend(template.get("provider").and_then(|p| p.get("environment")));
    variables.extend(sam.iter().filter_map(|p| environment(Some(p))));
    variables.extend(serverless.iter().filter_map(|f| f.get("environment")));
    let parameter_default = |name: &str| {
        template
            .get("Parameters")?
            .get(name)?
            .get("Default")?
            .as_str()
    };
    let routes = variables
        .iter()
        .filter_map(|v| v.as_mapping())
        .flat_map(|m| m.values())
        .filter_map(|value| match value {
            Value::String(text) => {
                of_host(text).or_else(|| of_host(custom_value(&template, text)?))
            }
            Value::Tagged(tagged) if tagged.tag == "Ref" => {
                of_host(parameter_default(tagged.value.as_str()?)?)
            }
            _ => yaml_reference(value)
                .and_then(|name| resources?.get(name)?.get("Type")?.as_str())
                .and_then(of_resource_type)
                .or_else(|| of_host(&serde_norway::to_string(value).ok()?)),
        });
    combine(routes)
}

/// The value of Serverless's `${self:custom.db.host}` in `text`, from the
/// template's `custom:` section.
fn custom_value<'t>(template: &'t Value, text: &str) -> Option<&'t str> {
    let start = text.find("${self:custom.")? + "${self:custom.".len();
    let path = text[start..].split(['}', ',', ' ']).next()?;
    let mut value = template.get("custom")?;
    for key in path.split('.') {
        value = value.get(key)?;
    }
    value.as_str()
}

/// A SAM holder's (`Properties`, `Globals.Function`) environment variables.
fn environment(holder: Option<&Value>) -> Option<&Value> {
    holder?.get("Environment")?.get("Variables")
}

/// The resource an environment value reads an attribute of: `!GetAtt
/// Db.Endpoint.Address`, `!GetAtt [Db, Endpoint.Address]`, `!Sub
/// "${Db.Endpoint.Address}"`, or their `Fn::` spellings.
fn yaml_reference(value: &Value) -> Option<&str> {
    let (function, argument) = match value {
        Value::Tagged(tagged) => (tagged.tag.to_string(), &tagged.value),
        Value::Mapping(map) if map.len() == 1 => {
            let (key, argument) = map.iter().next()?;
            (key.as_str()?.to_string(), argument)
        }
        _ => return None,
    };
    match function.trim_start_matches('!').trim_start_matches("Fn::") {
        "GetAtt" => match argument {
            Value::String(dotted) => dotted.split('.').next(),
            Value::Sequence(parts) => parts.first()?.as_str(),
            _ => None,
        },
        "Sub" => {
            let text = match argument {
                Value::String(text) => text.as_str(),
                Value::Sequence(parts) => parts.first()?.as_str()?,
                _ => return None,
            };
            let start = text.find("${")? + 2;
            let inner = &text[start..];
            inner.split(['.', '}']).next()
        }
        _ => None,
    }
}

/// The route a compiled template's function environment gives: literal
/// hostnames, and `Fn::GetAtt` / `Fn::Sub` of its RDS resources.
pub fn in_json(variables: &Json, resources: &Json) -> Option<DatabaseRoute> {
    let routes = variables
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(_, value)| match value {
            Json::String(text) => of_host(text),
            Json::Object(map) => {
                let name = match (map.get("Fn::GetAtt"), map.get("Fn::Sub")) {
                    (Some(Json::Array(parts)), _) => parts.first()?.as_str()?.to_string(),
                    (Some(Json::String(dotted)), _) => dotted.split('.').next()?.to_string(),
                    (None, Some(Json::String(text))) => {
                        let start = text.find("${")? + 2;
                        text[start..].split(['.', '}']).next()?.to_string()
                    }
                    _ => return None,
                };
                of_resource_type(resources[name.as_str()]["Type"].as_str()?)
            }
            _ => None,
        });
    combine(routes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_and_references_give_the_route() {
        assert_eq!(
            of_host("orders.cluster-c9akciq32.eu-west-1.rds.amazonaws.com"),
            Some(DatabaseRoute::Direct)
        );
        assert_eq!(
            of_host("orders-proxy.proxy-c9akciq32.eu-west-1.rds.amazonaws.com"),
            Some(DatabaseRoute::Proxy)
        );
        assert_eq!(of_host("localhost"), None);
        let sam = "Resources:\n  Db:\n    Type: AWS::RDS::DBCluster\n  Proxy:\n    Type: AWS::RDS::DBProxy\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Environment:\n        Variables:\n          HOST: !GetAtt Db.Endpoint.Address\n";
        assert_eq!(in_yaml(sam, "function.zip"), Some(DatabaseRoute::Direct));
        let proxied = sam.replace("!GetAtt Db.Endpoint.Address", "!GetAtt Proxy.Endpoint");
        assert_eq!(
            in_yaml(&proxied, "function.zip"),
            Some(DatabaseRoute::Proxy)
        );
        let sub = sam.replace(
            "!GetAtt Db.Endpoint.Address",
            "!Sub \"postgres://${Db.Endpoint.Address}:5432/orders\"",
        );
        assert_eq!(in_yaml(&sub, "function.zip"), Some(DatabaseRoute::Direct));
        assert_eq!(in_yaml("Resources: [unclosed", "function.zip"), None);
        let serverless = "custom:\n  db:\n    host: orders.cluster-c9akciq32.eu-west-1.rds.amazonaws.com\nfunctions:\n  orders:\n    handler: app.handler\n    environment:\n      DB_HOST: ${self:custom.db.host}\n";
        assert_eq!(
            in_yaml(serverless, "function.zip"),
            Some(DatabaseRoute::Direct)
        );
        let resources: Json = serde_json::json!({"Db": {"Type": "AWS::RDS::DBInstance"}});
        let variables =
            serde_json::json!({"HOST": {"Fn::GetAtt": ["Db", "Endpoint.Address"]}, "N": 1});
        assert_eq!(in_json(&variables, &resources), Some(DatabaseRoute::Direct));
    }
}

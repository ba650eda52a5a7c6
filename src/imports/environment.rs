//! The function's environment variables, as far as the code that runs at
//! init tests them: `if (process.env.NODE_ENV === 'production')` picks
//! React's production build or its development one as the module loads.
//! Scans keep the tests around each import ([`EnvTest`]); the walk decides
//! them with what it knows of the function's environment ([`Variables`]),
//! so that a scan kept between runs serves any environment.

use std::collections::BTreeMap;

use crate::artifact::cache::{Codec, Reader, Writer};

/// A test of the environment that decides whether an import runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnvTest {
    /// The variable is set to this value; with no value, set and not
    /// empty (what `if (process.env.DEBUG)` tests).
    Is(String, Option<String>),
    Not(Box<EnvTest>),
    All(Vec<EnvTest>),
    Any(Vec<EnvTest>),
    /// A part known before any code runs (`typeof process === 'object'`).
    Known(bool),
    /// A part that is no test of the environment.
    Unknown,
}

impl EnvTest {
    /// Whether the test holds in `variables`; `None` when they do not
    /// decide it.
    pub fn holds(&self, variables: &Variables) -> Option<bool> {
        match self {
            EnvTest::Is(name, want) => match (variables.0.get(name)?, want) {
                (Value::Unset, _) => Some(false),
                (Value::Set(Some(value)), Some(want)) => Some(value == want),
                (Value::Set(Some(value)), None) => Some(!value.is_empty()),
                (Value::Set(None), None) => Some(true),
                (Value::Set(None), Some(_)) => None,
            },
            EnvTest::Not(test) => test.holds(variables).map(|holds| !holds),
            // `&&` is decided by a false part, `||` by a true one
            EnvTest::All(tests) => decided_by(tests, variables, false),
            EnvTest::Any(tests) => decided_by(tests, variables, true),
            EnvTest::Known(holds) => Some(*holds),
            EnvTest::Unknown => None,
        }
    }

    /// Whether the test reads a variable at all.
    pub fn reads_variables(&self) -> bool {
        match self {
            EnvTest::Is(..) => true,
            EnvTest::Not(test) => test.reads_variables(),
            EnvTest::All(tests) | EnvTest::Any(tests) => tests.iter().any(Self::reads_variables),
            EnvTest::Known(_) | EnvTest::Unknown => false,
        }
    }

    /// Whether the test reads `name`.
    pub fn reads(&self, name: &str) -> bool {
        match self {
            EnvTest::Is(variable, _) => variable == name,
            EnvTest::Not(test) => test.reads(name),
            EnvTest::All(tests) | EnvTest::Any(tests) => tests.iter().any(|t| t.reads(name)),
            EnvTest::Known(_) | EnvTest::Unknown => false,
        }
    }
}

fn decided_by(tests: &[EnvTest], variables: &Variables, deciding: bool) -> Option<bool> {
    let mut undecided = false;
    for test in tests {
        match test.holds(variables) {
            Some(holds) if holds == deciding => return Some(deciding),
            Some(_) => {}
            None => undecided = true,
        }
    }
    (!undecided).then_some(!deciding)
}

/// A module's top-level assignment to a variable of the environment:
/// Next.js's standalone server sets `process.env.NODE_ENV = 'production'`
/// before it requires React.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvAssignment {
    pub variable: String,
    /// The literal assigned; `None` when it is no literal.
    pub value: Option<String>,
    /// `process.env.X = process.env.X || 'value'`: only when not set.
    pub unless_set: bool,
}

crate::artifact::cache::codec_struct!(EnvAssignment {
    variable,
    value,
    unless_set
});

/// What is known of one variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Unset,
    /// Set, to this value when known.
    Set(Option<String>),
}

/// The variables whose values the walk knows; a test of any other is
/// undecided, and both its branches are followed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Variables(BTreeMap<String, Value>);

/// What Lambda sets in every function's environment (values that differ
/// by function are known to be set, and no more).
pub const LAMBDA_SETS: &[(&str, Option<&str>)] = &[
    ("AWS_ACCESS_KEY_ID", None),
    ("AWS_DEFAULT_REGION", None),
    ("AWS_EXECUTION_ENV", None),
    ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", None),
    ("AWS_LAMBDA_FUNCTION_NAME", None),
    ("AWS_LAMBDA_FUNCTION_VERSION", None),
    ("AWS_LAMBDA_INITIALIZATION_TYPE", None),
    ("AWS_LAMBDA_LOG_GROUP_NAME", None),
    ("AWS_LAMBDA_LOG_STREAM_NAME", None),
    ("AWS_LAMBDA_RUNTIME_API", None),
    ("AWS_REGION", None),
    ("AWS_SECRET_ACCESS_KEY", None),
    ("AWS_SESSION_TOKEN", None),
    ("LAMBDA_RUNTIME_DIR", Some("/var/runtime")),
    ("LAMBDA_TASK_ROOT", Some("/var/task")),
    ("LANG", Some("en_US.UTF-8")),
    ("TZ", Some(":UTC")),
    ("_HANDLER", None),
];

/// The variable whose tests pick a package's development or production
/// build. Lambda leaves it unset unless the function sets it.
pub const NODE_ENV: &str = "NODE_ENV";

impl Variables {
    /// Lambda's environment: what it sets for every function, then what
    /// the function's configuration sets (`given`), then NODE_ENV as the
    /// function has it (`None`: not set).
    pub fn on_lambda(given: &BTreeMap<String, String>, node_env: Option<String>) -> Variables {
        let mut variables = BTreeMap::new();
        for (name, value) in LAMBDA_SETS {
            variables.insert(name.to_string(), Value::Set(value.map(str::to_string)));
        }
        let node_env = match node_env {
            Some(value) => Value::Set(Some(value)),
            None => Value::Unset,
        };
        variables.insert(NODE_ENV.to_string(), node_env);
        for (name, value) in given {
            variables.insert(name.clone(), Value::Set(Some(value.clone())));
        }
        Variables(variables)
    }

    /// These variables with `name` set to `value`.
    pub fn with(&self, name: &str, value: &str) -> Variables {
        let mut variables = self.clone();
        variables
            .0
            .insert(name.to_string(), Value::Set(Some(value.to_string())));
        variables
    }

    /// These variables once the code assigned one: a literal is known, anything
    /// else makes the variable unknown.
    pub fn assign(&mut self, assignment: &EnvAssignment) {
        let name = &assignment.variable;
        match (&assignment.value, assignment.unless_set, self.0.get(name)) {
            (None, ..) => {
                self.0.remove(name);
            }
            (Some(value), false, _) | (Some(value), true, Some(Value::Unset)) => {
                self.0.insert(name.clone(), Value::Set(Some(value.clone())));
            }
            // set already, it stays; not known, it stays not known
            (Some(_), true, _) => {}
        }
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }

    /// Whether code under `tests` may run: none of them is surely false.
    pub fn allow(&self, tests: &[EnvTest]) -> bool {
        tests.iter().all(|test| test.holds(self) != Some(false))
    }
}

impl Codec for EnvTest {
    fn put(&self, out: &mut Writer) {
        match self {
            EnvTest::Is(name, value) => {
                out.0.push(0);
                name.put(out);
                value.put(out);
            }
            EnvTest::Not(test) => {
                out.0.push(1);
                test.put(out);
            }
            EnvTest::All(tests) => {
                out.0.push(2);
                tests.put(out);
            }
            EnvTest::Any(tests) => {
                out.0.push(3);
                tests.put(out);
            }
            EnvTest::Known(holds) => {
                out.0.push(4);
                holds.put(out);
            }
            EnvTest::Unknown => out.0.push(5),
        }
    }

    fn take(input: &mut Reader) -> Option<Self> {
        Some(match input.byte()? {
            0 => EnvTest::Is(
                String::take(input)?,
                <Option<String> as Codec>::take(input)?,
            ),
            1 => EnvTest::Not(Box::new(EnvTest::take(input)?)),
            2 => EnvTest::All(Vec::take(input)?),
            3 => EnvTest::Any(Vec::take(input)?),
            4 => EnvTest::Known(bool::take(input)?),
            5 => EnvTest::Unknown,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is(name: &str, value: &str) -> EnvTest {
        EnvTest::Is(name.to_string(), Some(value.to_string()))
    }

    #[test]
    fn tests_are_decided_by_what_lambda_and_the_function_set() {
        let unset = Variables::on_lambda(&BTreeMap::new(), None);
        let production = unset.with(NODE_ENV, "production");
        let react = is(NODE_ENV, "production");
        assert_eq!(react.holds(&unset), Some(false));
        assert_eq!(react.holds(&production), Some(true));
        // a variable nothing says anything of decides nothing
        let debug = EnvTest::Is("DEBUG".into(), None);
        assert_eq!(debug.holds(&unset), None);
        // Lambda sets its own, to values known or not
        assert_eq!(
            EnvTest::Is("AWS_REGION".into(), None).holds(&unset),
            Some(true)
        );
        assert_eq!(is("AWS_REGION", "eu-west-1").holds(&unset), None);
        assert_eq!(
            is("LAMBDA_TASK_ROOT", "/var/task").holds(&unset),
            Some(true)
        );
        // `&&` and `||` with an undecided part
        let and = EnvTest::All(vec![EnvTest::Not(Box::new(react.clone())), debug.clone()]);
        assert_eq!(and.holds(&production), Some(false));
        assert_eq!(and.holds(&unset), None);
        let or = EnvTest::Any(vec![react.clone(), debug]);
        assert_eq!(or.holds(&production), Some(true));
        assert_eq!(or.holds(&unset), None);
        let react = std::slice::from_ref(&react);
        assert!(production.allow(react) && !unset.allow(react));
    }

    #[test]
    fn assignments_in_code_change_what_is_known() {
        let assignment = |value: Option<&str>, unless_set| EnvAssignment {
            variable: NODE_ENV.into(),
            value: value.map(str::to_string),
            unless_set,
        };
        let unset = Variables::on_lambda(&BTreeMap::new(), None);
        let mut production = unset.clone();
        production.assign(&assignment(Some("production"), false));
        assert_eq!(production, unset.with(NODE_ENV, "production"));
        // `process.env.NODE_ENV = process.env.NODE_ENV || 'production'`
        let mut defaulted = unset.clone();
        defaulted.assign(&assignment(Some("production"), true));
        assert_eq!(defaulted, production);
        let mut kept = unset.with(NODE_ENV, "test");
        kept.assign(&assignment(Some("production"), true));
        assert_eq!(kept.get(NODE_ENV), Some(&Value::Set(Some("test".into()))));
        let mut computed = production.clone();
        computed.assign(&assignment(None, false));
        assert_eq!(computed.get(NODE_ENV), None);
    }

    #[test]
    fn tests_come_back_as_they_were_written() {
        let test = EnvTest::All(vec![
            EnvTest::Not(Box::new(is(NODE_ENV, "production"))),
            EnvTest::Any(vec![
                EnvTest::Is("DEBUG".into(), None),
                EnvTest::Known(true),
            ]),
            EnvTest::Unknown,
        ]);
        let mut out = Writer(Vec::new());
        test.put(&mut out);
        let mut input = Reader::new(&out.0);
        assert_eq!(EnvTest::take(&mut input), Some(test));
    }
}

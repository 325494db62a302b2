//! The stack templates as the tests read them: a CloudFormation value turned into JSON,
//! with the intrinsic functions the test resolves (any other is a panic, so a template
//! change the test does not understand fails it rather than passing unread).

use serde_json::Value;
use serde_yaml::value::TaggedValue;

use super::project_dir;

pub fn template(file: &str) -> serde_yaml::Value {
    serde_yaml::from_str(&std::fs::read_to_string(project_dir().join(file)).unwrap()).unwrap()
}

/// `value` as JSON; `intrinsic(tag, argument)` resolves each tagged value (`!Sub`, ...).
pub fn resolve(value: &serde_yaml::Value, intrinsic: &dyn Fn(&str, &serde_yaml::Value) -> Option<Value>) -> Value {
    use serde_yaml::Value as Y;
    match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(*b),
        Y::Number(n) => serde_json::to_value(n.as_f64()).unwrap_or(Value::Null),
        Y::String(s) => Value::String(s.clone()),
        Y::Sequence(items) => Value::Array(items.iter().map(|v| resolve(v, intrinsic)).collect()),
        Y::Mapping(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), resolve(v, intrinsic)))
                .collect(),
        ),
        Y::Tagged(tagged) => {
            let TaggedValue { tag, value } = tagged.as_ref();
            let tag = tag.to_string();
            intrinsic(&tag, value).unwrap_or_else(|| panic!("{tag} {value:?} is not resolved by this test"))
        }
    }
}

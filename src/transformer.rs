//! A CloudWatch Logs log transformer (PutTransformer), as far as the audit evaluates
//! it: the processors that rewrite a JSON event's keys. A metric filter with
//! `applyOnTransformedLogs` matches the transformed event, so its pattern is judged on
//! the rule's records as these processors leave them. Pure.
//!
//! From the CloudWatch Logs user guide, "Processors that you can use" (parseJSON,
//! renameKeys, copyValue, deleteKeys, addKeys, each with its entries and
//! `overwriteIfExists`). Any other processor, a parseJSON that does not parse the
//! message itself into the event's root, or a key with a dot (a nested path, whose
//! reading the audit does not model) is not evaluated: the caller cannot prove what
//! the filter counts.

use serde_json::{Map, Value};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Processor {
    ParseJson {
        source: Option<String>,
        destination: Option<String>,
    },
    /// (key, rename to, overwrite if exists)
    RenameKeys(Vec<(String, String, bool)>),
    /// (source, target, overwrite if exists)
    CopyValue(Vec<(String, String, bool)>),
    DeleteKeys(Vec<String>),
    /// (key, value, overwrite if exists)
    AddKeys(Vec<(String, String, bool)>),
    /// A processor not evaluated, by name.
    Other(String),
}

/// `event` (a CloudTrail record, already JSON) as the processors leave it; Err: which
/// processor or key is not evaluated.
pub fn apply(processors: &[Processor], event: &Value) -> Result<Value, String> {
    let mut out = event.as_object().cloned().ok_or("the event is not a JSON object")?;
    let plain = |key: &str| -> Result<(), String> {
        match key.contains('.') {
            true => Err(format!("the nested key {key:?} is not evaluated")),
            false => Ok(()),
        }
    };
    for p in processors {
        match p {
            // The record is the message: parsing it into the root leaves it as it is.
            Processor::ParseJson { source, destination }
                if source.as_deref().is_none_or(|s| s == "@message") && destination.is_none() => {}
            Processor::ParseJson { .. } => return Err("parseJSON into another place than the event's root".into()),
            Processor::RenameKeys(entries) => {
                for (key, to, overwrite) in entries {
                    plain(key)?;
                    plain(to)?;
                    if out.contains_key(to) && !overwrite {
                        continue;
                    }
                    if let Some(value) = out.remove(key) {
                        out.insert(to.clone(), value);
                    }
                }
            }
            Processor::CopyValue(entries) => {
                for (source, target, overwrite) in entries {
                    plain(source)?;
                    plain(target)?;
                    if out.contains_key(target) && !overwrite {
                        continue;
                    }
                    if let Some(value) = out.get(source).cloned() {
                        out.insert(target.clone(), value);
                    }
                }
            }
            Processor::DeleteKeys(keys) => {
                for key in keys {
                    plain(key)?;
                    out.remove(key);
                }
            }
            Processor::AddKeys(entries) => {
                for (key, value, overwrite) in entries {
                    plain(key)?;
                    if !out.contains_key(key) || *overwrite {
                        out.insert(key.clone(), Value::String(value.clone()));
                    }
                }
            }
            Processor::Other(name) => return Err(format!("the processor {name} is not evaluated")),
        }
    }
    Ok(Value::Object(Map::from_iter(out)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event() -> Value {
        json!({"eventName": "CreatePolicy", "eventSource": "iam.amazonaws.com", "sourceIPAddress": "203.0.113.7"})
    }

    #[test]
    fn the_key_processors_rewrite_the_event() {
        let processors = [
            Processor::ParseJson {
                source: None,
                destination: None,
            },
            Processor::RenameKeys(vec![("eventName".into(), "event".into(), false)]),
            Processor::CopyValue(vec![("eventSource".into(), "service".into(), false)]),
            Processor::DeleteKeys(vec!["sourceIPAddress".into()]),
            Processor::AddKeys(vec![
                ("team".into(), "sec".into(), false),
                ("event".into(), "x".into(), false),
            ]),
        ];
        assert_eq!(
            apply(&processors, &event()).unwrap(),
            json!({"event": "CreatePolicy", "eventSource": "iam.amazonaws.com", "service": "iam.amazonaws.com", "team": "sec"})
        );
        // overwriteIfExists decides whether an existing key is replaced.
        let overwrite = [Processor::AddKeys(vec![("eventName".into(), "x".into(), true)])];
        assert_eq!(apply(&overwrite, &event()).unwrap()["eventName"], "x");
    }

    #[test]
    fn what_is_not_evaluated_is_an_error() {
        for (p, says) in [
            (Processor::Other("grok".into()), "grok"),
            (
                Processor::ParseJson {
                    source: Some("@message".into()),
                    destination: Some("body".into()),
                },
                "parseJSON",
            ),
            (Processor::DeleteKeys(vec!["userIdentity.arn".into()]), "nested key"),
        ] {
            let e = apply(&[p], &event()).unwrap_err();
            assert!(e.contains(says), "{e}");
        }
    }
}

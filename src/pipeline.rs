//! pipeline: one account's audit or remediation, with that account's clients. The only
//! caller of collect, check, plan and apply:
//! audit: collect -> check; remediation: collect -> check -> plan -> apply -> collect ->
//! check (the last two only when something was written); and a tamper event's
//! confirmation: its record in that account's CloudTrail event history.

use crate::alarm;
use crate::apply::apply;
use crate::aws::{AwsError, Clients};
use crate::check::{check, Findings};
use crate::collect::{collect, Reads};
pub use crate::plan::Writer;
use crate::plan::{plan, AppliedAction, Plan};
use crate::rule::Rule;
use crate::settings::{Names, Settings};
use crate::tamper::{self, Change, Confirmation};

/// The reads of `rules`' chains; remediation adds the alarms with the rules' names.
fn reads<'a>(rules: &'a [&'static Rule], alarms_named: &'a [String]) -> Reads<'a> {
    Reads {
        fires: |a, emission| alarm::evaluate(a, emission).fires(),
        rules,
        alarms_named,
    }
}

/// Each rule with the names its fixes advise and remediation writes.
fn judged(settings: &Settings, rules: &[&'static Rule]) -> Vec<(&'static Rule, Names)> {
    rules.iter().map(|rule| (*rule, settings.names_for(rule))).collect()
}

/// What the event history of the change's account (`clients`) and region says of it;
/// Err (unconfirmed, saying why) when that history could not be read.
pub async fn confirm(clients: &Clients, change: &Change) -> Result<Confirmation, Confirmation> {
    let recorded = match &change.event_id {
        Some(id) => crate::collect::cloudtrail_event(clients, &change.region, id).await,
        None => Ok(None),
    };
    match recorded {
        Ok(record) => Ok(tamper::confirmation(change, Ok(record.as_ref()))),
        Err(e) => Err(tamper::confirmation(change, Err(e.to_string()))),
    }
}

/// One account's audit of `rules`: one read of the chains, each rule judged on it.
pub async fn audit(clients: &Clients, settings: &Settings, rules: &[&'static Rule]) -> Findings {
    let state = collect(clients, reads(rules, &[])).await;
    check(&state, &judged(settings, rules))
}

/// What one account's remediation found, planned and did.
pub struct Remediated {
    /// The audit the plan was made from.
    pub before: Findings,
    pub plan: Plan,
    /// What each write became (None: nothing was sent, a dry run or an empty plan).
    pub applied: Option<Vec<AppliedAction>>,
    /// The audit after the writes (the one before when nothing was written).
    pub after: Findings,
    /// A write AWS refused (the run stopped there), or a lookup the plan needed that
    /// failed (something was not written): either way incomplete.
    pub failure: Option<AwsError>,
}

/// Audit, plan, and unless this is a dry run, apply and audit again; `writer` says
/// whose credentials `clients` carry, `write_by` when the writes must have ended (the
/// audit after and the delivery need the rest of the invocation).
pub async fn remediate(
    clients: &Clients,
    settings: &Settings,
    rules: &[&'static Rule],
    writer: Writer,
    dry_run: bool,
    write_by: Option<std::time::SystemTime>,
) -> Remediated {
    let judged = judged(settings, rules);
    let names: Vec<String> = judged.iter().map(|(_, n)| n.alarm_name.clone()).collect();
    let state = collect(clients, reads(rules, &names)).await;
    let before = check(&state, &judged);
    let plan = plan(&before, &state, settings, writer);
    let unread = plan.unread.first().cloned();
    if dry_run || plan.actions.is_empty() {
        return Remediated {
            after: before.clone(),
            before,
            plan,
            applied: None,
            failure: unread,
        };
    }
    let applied = apply(clients, &plan, write_by).await;
    let after = check(&collect(clients, reads(rules, &[])).await, &judged);
    Remediated {
        before,
        plan,
        applied: Some(applied.results),
        after,
        failure: applied.failure.or(unread),
    }
}

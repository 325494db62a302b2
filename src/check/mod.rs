//! The audit's judgment: AccountState -> Findings. Pure: no I/O, no clock, no env.
//! Each trail's chain is walked link by link; every link says what it saw, and when it
//! breaks, what would fix it. A link whose data could not be read is ERROR.

mod alarm;
mod metric_filter;
mod notification;
pub mod organization;
mod trail;

pub use notification::mask_endpoint;
pub use trail::records_all_management_events;

use alarm::alarm_link;
use metric_filter::metric_filter_link;
use notification::notification_link;
use trail::trail_link;

use serde::Serialize;

use crate::arn::LogGroupArn;
use crate::rule::{Control, Rule};
use crate::settings::Names;
use crate::state::{AccountState, AwsError, Trail};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    Pass,
    Fail,
    Error,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LinkStatus {
    Pass,
    Fail,
    Error,
    /// Owned by another account (organization trail): audit it there.
    External,
    /// An earlier link broke before this one could be looked at.
    NotReached,
}

impl Status {
    /// How bad: PASS < FAIL < ERROR (no verdict is worse than a known failure).
    fn rank(self) -> u8 {
        match self {
            Status::Pass => 0,
            Status::Fail => 1,
            Status::Error => 2,
        }
    }

    /// The worse of two.
    pub fn worst(self, other: Status) -> Status {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }
}

/// One account's findings. `status` is the worst of the rules'; `summary` and `trails`
/// are the only rule's when one was judged (the first's otherwise: each rule's are in
/// `rules`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Findings {
    pub account: Option<String>,
    pub region: String,
    pub status: Status,
    pub summary: String,
    pub trails: Vec<TrailFinding>,
    /// Reads that failed before any trail could be looked at.
    pub errors: Vec<AwsError>,
    /// Each judged rule's verdict and chains, in the benchmark's order.
    pub rules: Vec<RuleFindings>,
}

/// What one rule's chains came to in one account.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RuleFindings {
    pub id: &'static str,
    pub title: &'static str,
    pub controls: &'static [Control],
    #[serde(skip)]
    pub rule: &'static Rule,
    pub status: Status,
    pub summary: String,
    pub trails: Vec<TrailFinding>,
}

impl RuleFindings {
    pub fn new(rule: &'static Rule, status: Status, summary: String, trails: Vec<TrailFinding>) -> Self {
        RuleFindings {
            id: &rule.id,
            title: &rule.title,
            controls: &rule.controls,
            rule,
            status,
            summary,
            trails,
        }
    }
}

impl Findings {
    /// The findings of one of the rules alone, shaped as an account's (what plan and
    /// the per-rule outputs read).
    pub fn of_rule(&self, r: &RuleFindings) -> Findings {
        Findings {
            account: self.account.clone(),
            region: self.region.clone(),
            status: r.status,
            summary: r.summary.clone(),
            trails: r.trails.clone(),
            errors: self.errors.clone(),
            rules: vec![r.clone()],
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrailFinding {
    pub name: String,
    pub arn: String,
    pub home_region: String,
    /// An organization trail: it logs every account of the organization.
    pub organization: bool,
    pub log_group: Option<LogGroupArn>,
    pub status: LinkStatus,
    pub links: Links,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Links {
    pub trail: LinkFinding,
    pub metric_filter: LinkFinding,
    pub alarm: LinkFinding,
    pub notification: LinkFinding,
}

impl Links {
    pub fn all(&self) -> [(&'static str, &LinkFinding); 4] {
        [
            ("trail", &self.trail),
            ("metric-filter", &self.metric_filter),
            ("alarm", &self.alarm),
            ("notification", &self.notification),
        ]
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LinkFinding {
    pub status: LinkStatus,
    pub detail: String,
    /// Security Hub's own reason code for this link's failure (its CloudWatch.4 control),
    /// so SNS subscribers and Security Hub users read one vocabulary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_code: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    pub resources: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<AwsError>,
}

impl LinkFinding {
    fn pass(detail: String, resources: Vec<String>) -> Self {
        LinkFinding {
            status: LinkStatus::Pass,
            detail,
            reason_code: None,
            fix: None,
            resources,
            errors: Vec::new(),
        }
    }
    fn fail(detail: String, fix: String, resources: Vec<String>) -> Self {
        LinkFinding {
            status: LinkStatus::Fail,
            detail,
            reason_code: None,
            fix: Some(fix),
            resources,
            errors: Vec::new(),
        }
    }
    fn error(errors: Vec<AwsError>, resources: Vec<String>) -> Self {
        let detail = errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ");
        LinkFinding {
            status: LinkStatus::Error,
            detail,
            reason_code: None,
            fix: None,
            resources,
            errors,
        }
    }
    fn not_reached(why: &str) -> Self {
        LinkFinding {
            status: LinkStatus::NotReached,
            detail: format!("not checked: {why}"),
            reason_code: None,
            fix: None,
            resources: Vec::new(),
            errors: Vec::new(),
        }
    }
    fn external(detail: String) -> Self {
        LinkFinding {
            status: LinkStatus::External,
            detail,
            reason_code: None,
            fix: None,
            resources: Vec::new(),
            errors: Vec::new(),
        }
    }
}

/// Judges each of `rules` (with the names its fixes advise) on the one state read for
/// all of them.
pub fn check(state: &AccountState, rules: &[(&'static Rule, Names)]) -> Findings {
    // Every face refuses an empty list of rules; were one to come, judge the mission's.
    let mission = [(crate::rule::default_rule(), Names::default())];
    let rules = if rules.is_empty() { &mission[..] } else { rules };
    let judged: Vec<(Findings, &'static Rule)> = rules
        .iter()
        .map(|(rule, names)| (check_rule(&state.for_rule(rule), names, rule), *rule))
        .collect();
    let status = judged.iter().fold(Status::Pass, |worst, (f, _)| worst.worst(f.status));
    let verdicts: Vec<(&str, Status, &str)> = judged
        .iter()
        .map(|(f, rule)| (rule.id.as_str(), f.status, f.summary.as_str()))
        .collect();
    let summary = rules_summary(&verdicts);
    let rules_found: Vec<RuleFindings> = judged
        .iter()
        .map(|(f, rule)| RuleFindings::new(rule, f.status, f.summary.clone(), f.trails.clone()))
        .collect();
    // The account's own fields (its id, region, failed reads) are alike in every rule's.
    let (account, region, errors) = judged
        .into_iter()
        .next()
        .map(|(f, _)| (f.account, f.region, f.errors))
        .unwrap_or_default();
    let trails = rules_found.first().map(|r| r.trails.clone()).unwrap_or_default();
    Findings {
        account,
        region,
        status,
        summary,
        trails,
        errors,
        rules: rules_found,
    }
}

/// The summary of several rules' verdicts, (id, status, summary) each: one rule's own
/// summary; several, counted, with the first of the worst status named
/// ("15 rules: 12 PASS, 3 FAIL, 0 ERROR; vpc-changes: ...").
pub fn rules_summary(verdicts: &[(&str, Status, &str)]) -> String {
    if let [(_, _, only)] = verdicts {
        return only.to_string();
    }
    let worst = verdicts.iter().fold(Status::Pass, |w, (_, s, _)| w.worst(*s));
    let count = |s: Status| verdicts.iter().filter(|(_, x, _)| *x == s).count();
    let first_bad = verdicts.iter().find(|(_, s, _)| *s == worst && worst != Status::Pass);
    format!(
        "{} rules: {} PASS, {} FAIL, {} ERROR{}",
        verdicts.len(),
        count(Status::Pass),
        count(Status::Fail),
        count(Status::Error),
        first_bad.map_or(String::new(), |(id, _, summary)| format!("; {id}: {summary}"))
    )
}

/// One rule's chains, on the state as that rule sees it.
fn check_rule(state: &AccountState, names: &Names, rule: &'static Rule) -> Findings {
    let mut errors = Vec::new();
    let account = match &state.account_id {
        Ok(a) => Some(a.clone()),
        Err(e) => {
            errors.push(e.clone());
            None
        }
    };
    let trails = match &state.trails {
        Ok(trails) => trails
            .iter()
            .map(|t| check_trail(state, t, account.as_deref().unwrap_or(""), names, rule))
            .collect(),
        Err(e) => {
            errors.push(e.clone());
            Vec::new()
        }
    };
    let (status, summary) = verdict(&trails, &errors, &state.region, rule);
    Findings {
        account,
        region: state.region.clone(),
        status,
        summary,
        trails,
        errors,
        rules: Vec::new(),
    }
}

fn verdict(trails: &[TrailFinding], errors: &[AwsError], region: &str, rule: &Rule) -> (Status, String) {
    let what = rule.in_sentence();
    // Without the account's identity nothing can be vouched for, whatever else was read.
    if let Some(t) = trails
        .iter()
        .find(|t| t.status == LinkStatus::Pass)
        .filter(|_| errors.is_empty())
    {
        return (
            Status::Pass,
            format!(
                "{} are alarmed: trail {} -> metric filter -> alarm -> confirmed subscriber",
                rule.title, t.name
            ),
        );
    }
    if !errors.is_empty() || trails.iter().any(|t| t.status == LinkStatus::Error) {
        let failed: Vec<&AwsError> = errors
            .iter()
            .chain(trails.iter().flat_map(|t| t.links.all()).flat_map(|(_, l)| &l.errors))
            .collect();
        // One cause once, with every operation it stopped: a closed endpoint fails
        // every read the same way.
        let mut causes: Vec<(&str, Vec<&str>)> = Vec::new();
        for e in &failed {
            match causes.iter_mut().find(|(message, _)| *message == e.message) {
                Some((_, operations)) if !operations.contains(&e.operation.as_str()) => operations.push(&e.operation),
                Some(_) => {}
                None => causes.push((&e.message, vec![&e.operation])),
            }
        }
        let named: Vec<String> = causes
            .iter()
            .map(|(message, operations)| format!("{} ({message})", operations.join(", ")))
            .collect();
        let shown = named.iter().take(3).cloned().collect::<Vec<_>>().join("; ");
        let more = named.len().saturating_sub(3);
        return (
            Status::Error,
            format!(
                "the audit could not read everything it needs, so there is no verdict: {shown}{}",
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ),
        );
    }
    if trails.is_empty() {
        return (
            Status::Fail,
            format!("no CloudTrail trail is visible from {region}: create a multi-region trail that delivers to CloudWatch Logs"),
        );
    }
    if trails.iter().all(|t| t.links.trail.status == LinkStatus::External) {
        return (
            Status::Fail,
            format!("no trail of this account alarms on {what}; only organization trails owned elsewhere, which must be audited in their own account"),
        );
    }
    if let Some(t) = trails.iter().find(|t| t.status == LinkStatus::External) {
        return (
            Status::Fail,
            format!(
                "not proven from this account: trail {}'s chain continues in another account (see its EXTERNAL link), which must be checked there",
                t.name
            ),
        );
    }
    (
        Status::Fail,
        format!("no trail's chain alarms on {what}: see each trail's first failing link"),
    )
}

fn check_trail(state: &AccountState, trail: &Trail, account: &str, names: &Names, rule: &'static Rule) -> TrailFinding {
    let log_group: Option<LogGroupArn> = trail.log_group_arn.as_deref().and_then(|a| a.parse().ok());
    let finding = |links: Links| TrailFinding {
        name: trail.name.clone(),
        arn: trail.arn.clone(),
        home_region: trail.home_region.clone(),
        organization: trail.organization,
        log_group: log_group.clone(),
        status: chain_status(&links),
        links: with_reason_codes(links),
    };
    // With the account unknown (STS failed) nothing can be called foreign; the run is
    // ERROR anyway.
    if let Some(owner) = trail.foreign_account(account).filter(|_| !account.is_empty()) {
        let why = format!(
            "trail {} (organization trail: {}) delivers to account {owner}; its metric filter, alarm and topic live there: run this audit in account {owner}",
            trail.arn, trail.organization
        );
        let elsewhere = LinkFinding::external(format!("in account {owner}"));
        return finding(Links {
            trail: LinkFinding::external(why),
            metric_filter: elsewhere.clone(),
            alarm: elsewhere.clone(),
            notification: elsewhere,
        });
    }
    let trail_link = trail_link(state, trail);
    let reachable = log_group
        .as_ref()
        .and_then(|arn| state.log_groups.get(arn))
        .filter(|g| g.exists == Ok(true));
    let Some(group) = reachable else {
        return finding(Links {
            trail: trail_link,
            metric_filter: LinkFinding::not_reached("the trail delivers to no readable log group"),
            alarm: LinkFinding::not_reached("no metric filter"),
            notification: LinkFinding::not_reached("no alarm"),
        });
    };
    let (metric_filter, sources) = metric_filter_link(group, trail.organization, names, rule);
    if sources.is_empty() {
        return finding(Links {
            trail: trail_link,
            metric_filter,
            alarm: LinkFinding::not_reached(&format!(
                "no metric filter covers all {} {}",
                rule.cases.len(),
                rule.events_noun
            )),
            notification: LinkFinding::not_reached("no alarm"),
        });
    }
    let (alarm, topics) = alarm_link(state, &group.arn, &sources, names, rule);
    let notification = if topics.is_empty() {
        LinkFinding::not_reached(&format!("no alarm fires on one of the {}", rule.events_noun))
    } else {
        notification_link(state, &topics, account)
    };
    finding(Links {
        trail: trail_link,
        metric_filter,
        alarm,
        notification,
    })
}

/// Security Hub's reason codes (CloudWatch.4's), one per failing link.
fn with_reason_codes(mut links: Links) -> Links {
    let fail = |l: &LinkFinding| l.status == LinkStatus::Fail;
    if fail(&links.trail) {
        links.trail.reason_code = Some("CLOUDTRAIL_MULTI_REGION_NOT_PRESENT");
    }
    if fail(&links.metric_filter) {
        links.metric_filter.reason_code = Some("CLOUDTRAIL_METRIC_FILTER_NOT_VALID");
    }
    if fail(&links.alarm) {
        // An alarm on the metric that does not notify, or none at all.
        links.alarm.reason_code = Some(if links.alarm.resources.is_empty() {
            "CLOUDWATCH_ALARMS_NOT_PRESENT"
        } else {
            "CLOUDWATCH_ALARM_ACTIONS_NOT_VALID"
        });
    }
    // (A chain that is another account's altogether has no code of its own here.)
    let own_chain = links.trail.status != LinkStatus::External;
    let n = &mut links.notification;
    n.reason_code = match n.status {
        LinkStatus::External if own_chain => Some("SNS_TOPIC_CROSS_ACCOUNT"),
        LinkStatus::Fail if n.detail.contains("subscription") => Some("SNS_SUBSCRIPTION_NOT_PRESENT"),
        LinkStatus::Fail => Some("SNS_TOPIC_INVALID"),
        _ => None,
    };
    links
}

fn chain_status(links: &Links) -> LinkStatus {
    let statuses: Vec<LinkStatus> = links.all().iter().map(|(_, l)| l.status).collect();
    if statuses.contains(&LinkStatus::External) {
        LinkStatus::External
    } else if statuses.contains(&LinkStatus::Fail) {
        LinkStatus::Fail
    } else if statuses.contains(&LinkStatus::Error) {
        LinkStatus::Error
    } else if statuses.iter().all(|s| *s == LinkStatus::Pass) {
        LinkStatus::Pass
    } else {
        LinkStatus::Fail
    }
}

/// Collects the problems of one link: definite problems make it FAIL, failed reads
/// (with no definite problem) make it ERROR.
#[derive(Default)]
pub(crate) struct Problems {
    pub(crate) said: Vec<String>,
    pub(crate) fixes: Vec<String>,
    pub(crate) errors: Vec<AwsError>,
}

impl Problems {
    pub(crate) fn add(&mut self, problem: String, fix: String) {
        self.said.push(problem);
        self.fixes.push(fix);
    }
    pub(crate) fn into_link(self, ok: String, resources: Vec<String>) -> LinkFinding {
        if !self.said.is_empty() {
            let mut link = LinkFinding::fail(self.said.join("; "), self.fixes.join("; "), resources);
            link.errors = self.errors;
            link
        } else if !self.errors.is_empty() {
            LinkFinding::error(self.errors, resources)
        } else {
            LinkFinding::pass(ok, resources)
        }
    }
}

impl LinkFinding {
    fn prefixed(mut self, prefix: &str) -> Self {
        if matches!(self.status, LinkStatus::Fail) {
            self.detail = format!("{prefix}{}", self.detail);
        }
        self
    }
}

#[cfg(test)]
mod tests;

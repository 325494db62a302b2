//! collect: the audit's reads. One adapter per service turns API responses into the
//! plain structs of `state`; this module walks the chain in dependent phases and runs
//! the independent reads of each phase concurrently, with a bound. What to read next
//! is decided from data (each filter's coverage, the alarm model's verdicts), never by
//! check or plan. (apply's writes re-read what they guard, through the same adapters.)

mod cloudtrail;
mod cloudwatch;
#[cfg(test)]
mod fields;
mod kms;
mod logs;
mod organizations;
mod sns;

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use futures_util::stream::{self, StreamExt};

use crate::arn::{LogGroupArn, TopicArn};
use crate::aws::{aws_error, Clients};
use crate::rule::Rule;
use crate::state::{
    AccountState, Alarm, CompositeAlarm, Emission, Key, LogGroup, MetricKey, MuteRule, Read, TaggedAlarm, Topic, Trail,
};

/// Whether an alarm fires on what a metric filter emits: the dependent reads after the
/// alarms (math alarms, composites, mute rules) follow only what could notify. The
/// caller supplies the model (pipeline passes the alarm model's verdict): collect reads,
/// it does not judge.
pub type Fires = fn(&Alarm, &Emission) -> bool;

/// What a run reads: the chains of these rules, and what remediation needs besides.
#[derive(Clone, Copy, Debug)]
pub struct Reads<'a> {
    pub fires: Fires,
    /// The rules whose chains are read: each filter is judged for each, and the alarms
    /// of every metric that covers one of them are read.
    pub rules: &'a [&'static Rule],
    /// Remediation: the alarms that have these names, with their tags, in each region a
    /// trail of this account delivers to (remediation may write only its own).
    pub alarms_named: &'a [String],
}

/// At most this many requests of one phase are in flight at once.
const CONCURRENCY: usize = 8;

/// Reads everything the chains need, and nothing else: alarms only for the metrics of
/// filters that cover all of a rule's events, topics only of those alarms, keys only of
/// those topics; and what `reads` asks for besides. Each filter's coverage of each rule
/// is evaluated once, as it is read. Failed reads are recorded in the state, never
/// raised. Whatever the number of rules, the trails, filters and alarms are read once.
pub async fn collect(clients: &Clients, reads: Reads<'_>) -> AccountState {
    let home = clients.home_region().to_string();
    let home_clients = clients.regional(&home);
    let (account_id, trails) = tokio::join!(
        sts_account_id(clients),
        cloudtrail::describe_trails(&home_clients.cloudtrail, &home)
    );
    let mut state = AccountState {
        account_id,
        region: home,
        trails: Ok(Vec::new()),
        log_groups: BTreeMap::new(),
        alarms: BTreeMap::new(),
        topics: BTreeMap::new(),
        keys: BTreeMap::new(),
        named_alarms: BTreeMap::new(),
        math_alarms: BTreeMap::new(),
        composites: BTreeMap::new(),
        mute_rules: BTreeMap::new(),
    };
    let mut trails = match trails {
        Ok(t) => t,
        Err(e) => {
            state.trails = Err(e);
            return state;
        }
    };
    // When the account is unknown (STS failed), read what we can; the check reports ERROR.
    let account = state.account_id.clone().unwrap_or_default();
    let local = |t: &Trail| account.is_empty() || t.foreign_account(&account).is_none();

    let groups: BTreeSet<LogGroupArn> = trails
        .iter()
        .filter(|t| local(t))
        .filter_map(|t| t.log_group_arn.as_deref()?.parse().ok())
        .collect();
    let trail_reads = bounded(trails.iter().filter(|t| local(t)).map(|t| {
        let c = clients.regional(&t.home_region);
        let arn = t.arn.clone();
        async move { (arn.clone(), cloudtrail::status_and_selectors(&c.cloudtrail, &arn).await) }
    }));
    let group_reads = bounded(groups.into_iter().map(|arn| {
        let c = clients.regional(&arn.region);
        async move { logs::read_log_group(&c.logs, arn).await }
    }));
    let (trail_reads, group_reads) = tokio::join!(trail_reads, group_reads);
    let mut by_arn: BTreeMap<_, _> = trail_reads.into_iter().collect();
    for trail in &mut trails {
        if let Some((status, selectors)) = by_arn.remove(&trail.arn) {
            trail.status = Some(status);
            trail.selectors = Some(selectors);
        }
    }
    state.trails = Ok(trails);
    state.log_groups = group_reads.into_iter().map(|g| (g.arn.clone(), g)).collect();
    for group in state.log_groups.values_mut() {
        if let Ok(filters) = &mut group.filters {
            filters.iter_mut().for_each(|f| f.judge(reads.rules));
        }
    }

    // The named alarms depend only on the log groups' regions: read beside the rest of
    // the chain, so remediation adds no dependent phase before its plan.
    let lookups: BTreeSet<(String, String)> = state
        .log_groups
        .values()
        .filter(|g| g.exists == Ok(true))
        .flat_map(|g| {
            reads
                .alarms_named
                .iter()
                .map(|name| (g.arn.region.clone(), name.clone()))
        })
        .collect();
    let named = alarms_named(clients, lookups);
    let chain = alarm_chain(clients, &state.log_groups, reads.rules, reads.fires);
    let (alarm_reads, named) = tokio::join!(chain, named);
    state.alarms = alarm_reads.alarms;
    state.math_alarms = alarm_reads.math_alarms;
    state.composites = alarm_reads.composites;
    state.mute_rules = alarm_reads.mute_rules;
    state.topics = alarm_reads.topics;
    state.keys = alarm_reads.keys;
    state.named_alarms = named;
    state
}

/// The alarm half of the chain, read in its dependent steps.
#[derive(Default)]
struct AlarmReads {
    alarms: BTreeMap<MetricKey, Read<Vec<Alarm>>>,
    math_alarms: BTreeMap<String, Read<Vec<Alarm>>>,
    composites: BTreeMap<(String, String), Read<Vec<CompositeAlarm>>>,
    mute_rules: BTreeMap<String, Read<Vec<MuteRule>>>,
    topics: BTreeMap<TopicArn, Read<Topic>>,
    keys: BTreeMap<(String, String), Read<Key>>,
}

/// The alarms on the covering filters' metrics; where none of them fires, the region's
/// metric math alarms; over an alarm that fires but notifies no topic, the composite
/// alarms; then the topics they notify, then those topics' keys. A compliant chain
/// reads only the first, the topics and the keys.
async fn alarm_chain(
    clients: &Clients,
    log_groups: &BTreeMap<LogGroupArn, LogGroup>,
    rules: &[&'static Rule],
    fires: Fires,
) -> AlarmReads {
    let emissions: Vec<(MetricKey, Emission)> = log_groups
        .values()
        .flat_map(|g| {
            rules
                .iter()
                .flat_map(move |rule| covering_metrics(&g.for_rule(rule), rule))
        })
        .collect();
    let metrics: BTreeSet<MetricKey> = emissions.iter().map(|(k, _)| k.clone()).collect();
    let alarm_reads = bounded(metrics.into_iter().map(|key| {
        let c = clients.regional(&key.region);
        async move {
            let alarms = cloudwatch::alarms_for_metric(&c.cloudwatch, &key).await;
            (key, alarms)
        }
    }));
    let mut reads = AlarmReads {
        alarms: alarm_reads.await.into_iter().collect(),
        ..AlarmReads::default()
    };

    let firing = |alarms: &[Alarm], region: &str| -> Vec<Alarm> {
        alarms
            .iter()
            .filter(|a| emissions.iter().any(|(k, e)| k.region == region && fires(a, e)))
            .cloned()
            .collect()
    };
    let math_regions: BTreeSet<String> = reads
        .alarms
        .iter()
        .filter_map(|(key, alarms)| Some((key, alarms.as_ref().ok()?)))
        .filter(|(key, alarms)| firing(alarms, &key.region).is_empty())
        .map(|(key, _)| key.region.clone())
        .collect();
    let math_reads = bounded(math_regions.into_iter().map(|region| {
        let c = clients.regional(&region);
        async move {
            let alarms = cloudwatch::math_alarms(&c.cloudwatch, &region).await;
            (region, alarms)
        }
    }));
    reads.math_alarms = math_reads.await.into_iter().collect();

    // The alarms that fire, by region; of those, the ones without an SNS topic of their
    // region among their actions: a composite alarm may notify for them.
    let mut fired: Vec<(String, Alarm)> = Vec::new();
    for (key, alarms) in &reads.alarms {
        if let Ok(alarms) = alarms {
            fired.extend(firing(alarms, &key.region).into_iter().map(|a| (key.region.clone(), a)));
        }
    }
    for (region, alarms) in &reads.math_alarms {
        if let Ok(alarms) = alarms {
            fired.extend(firing(alarms, region).into_iter().map(|a| (region.clone(), a)));
        }
    }
    let silent: BTreeSet<(String, String)> = fired
        .iter()
        .filter(|(region, a)| !a.actions_enabled || topics_in(&a.alarm_actions, region).next().is_none())
        .map(|(region, a)| (region.clone(), a.name.clone()))
        .collect();
    let composite_reads = bounded(silent.into_iter().map(|(region, name)| {
        let c = clients.regional(&region);
        async move {
            let composites = cloudwatch::composites_of(&c.cloudwatch, &name).await;
            ((region, name), composites)
        }
    }));
    reads.composites = composite_reads.await.into_iter().collect();

    let standard = reads
        .alarms
        .iter()
        .filter_map(|(key, alarms)| Some((key.region.as_str(), alarms.as_ref().ok()?)))
        .flat_map(|(region, alarms)| alarms.iter().map(move |a| (region, &a.alarm_actions)));
    let math = fired.iter().map(|(region, a)| (region.as_str(), &a.alarm_actions));
    let composite = reads
        .composites
        .iter()
        .filter_map(|((region, _), c)| Some((region.as_str(), c.as_ref().ok()?)))
        .flat_map(|(region, cs)| cs.iter().map(move |c| (region, &c.alarm_actions)));
    let topics: BTreeSet<TopicArn> = standard
        .chain(math)
        .chain(composite)
        .flat_map(|(region, actions)| topics_in(actions, region))
        .collect();
    let topic_reads = bounded(topics.into_iter().map(|arn| {
        let c = clients.regional(arn.region());
        async move {
            let topic = sns::read_topic(&c.sns, &arn).await;
            (arn, topic)
        }
    }));
    // The mute rules of each region where an alarm that fires could notify (itself or
    // through a composite), beside the topics.
    let muted_regions: BTreeSet<String> = fired
        .iter()
        .map(|(region, _)| region.clone())
        .chain(reads.composites.keys().map(|(region, _)| region.clone()))
        .collect();
    let mute_reads = bounded(muted_regions.into_iter().map(|region| {
        let c = clients.regional(&region);
        async move {
            let rules = cloudwatch::mute_rules(&c.cloudwatch, &region).await;
            (region, rules)
        }
    }));
    let (topic_reads, mute_reads) = tokio::join!(topic_reads, mute_reads);
    reads.topics = topic_reads.into_iter().collect();
    reads.mute_rules = mute_reads.into_iter().collect();

    let keys: BTreeSet<(String, String)> = reads
        .topics
        .values()
        .filter_map(|t| t.as_ref().ok())
        .filter_map(|t| Some((t.arn.region().to_string(), t.kms_key_id.clone()?)))
        .filter(|(_, key)| !key.is_empty() && !crate::state::is_aws_managed_sns_alias(key))
        .collect();
    let key_reads = bounded(keys.into_iter().map(|(region, key_id)| {
        let c = clients.regional(&region);
        async move {
            let key = kms::read_key(&c.kms, &key_id).await;
            ((region, key_id), key)
        }
    }));
    // The subscriptions' filter policies beside the keys: no dependent step is added
    // to the chain.
    let subscription_reads = bounded(reads.topics.iter_mut().filter_map(|(arn, topic)| {
        let topic = topic.as_mut().ok()?;
        let c = clients.regional(arn.region());
        Some(async move { sns::read_subscription_attributes(&c.sns, topic).await })
    }));
    let (keys, _) = tokio::join!(key_reads, subscription_reads);
    reads.keys = keys.into_iter().collect();
    reads
}

/// The SNS topics of `region` among `actions`: the only ones CloudWatch notifies.
fn topics_in<'a>(actions: &'a [String], region: &'a str) -> impl Iterator<Item = TopicArn> + 'a {
    actions
        .iter()
        .filter_map(|action| action.parse::<TopicArn>().ok())
        .filter(move |t| t.region() == region)
}

/// The alarm that has each name, with its tags, in each region: by (region, name).
async fn alarms_named(
    clients: &Clients,
    wanted: BTreeSet<(String, String)>,
) -> BTreeMap<(String, String), Read<Option<TaggedAlarm>>> {
    bounded(wanted.into_iter().map(|(region, name)| {
        let c = clients.regional(&region);
        async move {
            let found = cloudwatch::alarm_named(&c.cloudwatch, &name).await;
            ((region, name), found)
        }
    }))
    .await
    .into_iter()
    .collect()
}

/// The metric filters of one log group, read again just before remediation writes.
pub async fn metric_filters(clients: &Clients, group: &LogGroupArn) -> Read<Vec<crate::state::MetricFilter>> {
    logs::metric_filters(&clients.regional(&group.region).logs, group).await
}

/// The metrics the filters on `group` publish all of `rule`'s events to (alone or
/// together: the only metrics whose alarms matter), with what each event publishes.
fn covering_metrics(group: &LogGroup, rule: &'static Rule) -> Vec<(MetricKey, Emission)> {
    group
        // An organization's system fields only narrow: read the alarms of every metric
        // the filters could feed, and let check judge.
        .sources(false, rule)
        .sources
        .iter()
        .map(|source| (source.key(&group.arn), source.emission().0))
        .collect()
}

/// The organization and its ACTIVE accounts.
pub async fn organization(clients: &Clients) -> Read<crate::state::OrganizationState> {
    organizations::read_organization(&clients.organizations()).await
}

/// The account the clients act in.
/// CloudTrail's record of the event `event_id` in `region` (None: not in the event
/// history), to confirm a tamper event.
pub async fn cloudtrail_event(clients: &Clients, region: &str, event_id: &str) -> Read<Option<serde_json::Value>> {
    cloudtrail::lookup_event(&clients.regional(region).cloudtrail, event_id).await
}

pub async fn caller_account(clients: &Clients) -> Read<String> {
    sts_account_id(clients).await
}

async fn sts_account_id(clients: &Clients) -> Read<String> {
    let sts = clients.sts();
    let out = sts
        .get_caller_identity()
        .send()
        .await
        .map_err(|e| aws_error("sts:GetCallerIdentity", "caller", e))?;
    Ok(out.account().unwrap_or_default().to_string())
}

/// Runs `futures` with at most CONCURRENCY in flight; results in completion order.
pub async fn bounded<F: Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    stream::iter(futures).buffer_unordered(CONCURRENCY).collect().await
}

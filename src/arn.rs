//! ARNs as typed values: parsed once at the edge, so the core never re-splits strings.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("malformed ARN {value:?}: {reason}")]
pub struct ArnError {
    pub value: String,
    pub reason: &'static str,
}

/// The partition of the ARNs of `region`, by the region-name prefixes of the AWS SDKs'
/// partitions.json (aws-cn: cn-*, aws-us-gov: us-gov-*, the isolated partitions), so an
/// ARN this crate builds is valid in China and GovCloud too.
pub fn partition_of(region: &str) -> &'static str {
    const PREFIXES: [(&str, &str); 6] = [
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-isof-", "aws-iso-f"),
        ("us-iso-", "aws-iso"),
        ("eu-isoe-", "aws-iso-e"),
    ];
    PREFIXES
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map_or("aws", |(_, partition)| partition)
}

/// `arn:partition:service:region:account:resource`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Arn {
    pub partition: String,
    pub service: String,
    pub region: String,
    pub account: String,
    pub resource: String,
}

impl FromStr for Arn {
    type Err = ArnError;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let fail = |reason| ArnError {
            value: value.to_string(),
            reason,
        };
        let mut parts = value.splitn(6, ':');
        if parts.next() != Some("arn") {
            return Err(fail("does not start with \"arn:\""));
        }
        let mut next = |what| parts.next().ok_or_else(|| fail(what));
        let partition = next("no partition")?;
        let service = next("no service")?;
        let region = next("no region")?;
        let account = next("no account")?;
        let resource = next("no resource")?;
        if !partition.starts_with("aws") {
            return Err(fail("partition is not aws, aws-cn or aws-us-gov"));
        }
        if service.is_empty() {
            return Err(fail("empty service"));
        }
        if !account.is_empty() && !is_account_id(account) {
            return Err(fail("account is not 12 digits"));
        }
        if resource.is_empty() {
            return Err(fail("empty resource"));
        }
        Ok(Arn {
            partition: partition.into(),
            service: service.into(),
            region: region.into(),
            account: account.into(),
            resource: resource.into(),
        })
    }
}

impl Arn {
    /// An ARN of `service` that must name a region and an account, as topics and log
    /// groups do.
    fn regional(value: &str, service: &str, wrong_service: &'static str) -> Result<Arn, ArnError> {
        let arn: Arn = value.parse()?;
        let fail = |reason| {
            Err(ArnError {
                value: value.to_string(),
                reason,
            })
        };
        if arn.service != service {
            return fail(wrong_service);
        }
        if !is_region(&arn.region) {
            return fail("region is missing or malformed");
        }
        if !is_account_id(&arn.account) {
            return fail("account is not 12 digits");
        }
        Ok(arn)
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:{}:{}:{}:{}",
            self.partition, self.service, self.region, self.account, self.resource
        )
    }
}

pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_region(s: &str) -> bool {
    // e.g. us-east-1, ap-southeast-2, us-gov-west-1, eu-isoe-west-1
    let mut parts = s.split('-');
    let first_ok = parts.next().is_some_and(|p| p.len() == 2);
    let rest: Vec<&str> = parts.collect();
    first_ok
        && rest.len() >= 2
        && rest.last().is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// An SNS topic: the only target CloudWatch alarms and the findings publisher use.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "String")]
pub struct TopicArn(Arn);

impl TopicArn {
    pub fn region(&self) -> &str {
        &self.0.region
    }
    pub fn account(&self) -> &str {
        &self.0.account
    }
    pub fn name(&self) -> &str {
        &self.0.resource
    }
}

impl FromStr for TopicArn {
    type Err = ArnError;
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let arn = Arn::regional(value, "sns", "not an SNS topic ARN (service is not sns)")?;
        let fail = |reason| ArnError {
            value: value.to_string(),
            reason,
        };
        let name_ok = arn.resource.len() <= 256
            && arn
                .resource
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
        if !name_ok || arn.resource.contains(':') {
            return Err(fail("topic name must be 1-256 of A-Z a-z 0-9 - _ (and .fifo)"));
        }
        Ok(TopicArn(arn))
    }
}

impl fmt::Display for TopicArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<TopicArn> for String {
    fn from(t: TopicArn) -> String {
        t.to_string()
    }
}

/// A CloudWatch Logs log group, as CloudTrail names it in `CloudWatchLogsLogGroupArn`
/// (`arn:aws:logs:REGION:ACCOUNT:log-group:NAME:*`). Region and account come from here,
/// not from the trail or the function.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "String")]
pub struct LogGroupArn {
    pub partition: String,
    pub region: String,
    pub account: String,
    pub name: String,
}

impl FromStr for LogGroupArn {
    type Err = ArnError;
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let arn = Arn::regional(value, "logs", "not a CloudWatch Logs ARN (service is not logs)")?;
        let fail = |reason| ArnError {
            value: value.to_string(),
            reason,
        };
        let name = arn
            .resource
            .strip_prefix("log-group:")
            .ok_or_else(|| fail("resource is not log-group:NAME"))?;
        // Log group names cannot contain ':', so a trailing ":*" is the only suffix.
        let name = name.strip_suffix(":*").unwrap_or(name);
        if name.is_empty() || name.len() > 512 || name.contains(':') {
            return Err(fail("log group name is empty, too long or contains ':'"));
        }
        Ok(LogGroupArn {
            partition: arn.partition,
            region: arn.region,
            account: arn.account,
            name: name.to_string(),
        })
    }
}

impl fmt::Display for LogGroupArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "arn:{}:logs:{}:{}:log-group:{}",
            self.partition, self.region, self.account, self.name
        )
    }
}

impl From<LogGroupArn> for String {
    fn from(a: LogGroupArn) -> String {
        a.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_partition_follows_the_region() {
        for (region, partition) in [
            ("us-east-1", "aws"),
            ("eu-west-1", "aws"),
            ("cn-north-1", "aws-cn"),
            ("cn-northwest-1", "aws-cn"),
            ("us-gov-west-1", "aws-us-gov"),
            ("us-iso-east-1", "aws-iso"),
            ("us-isob-east-1", "aws-iso-b"),
        ] {
            assert_eq!(partition_of(region), partition, "{region}");
        }
    }

    #[test]
    fn log_group_arn_from_cloudtrail_form() {
        let arn: LogGroupArn = "arn:aws:logs:eu-west-1:123456789012:log-group:CloudTrail/Logs:*"
            .parse()
            .unwrap();
        assert_eq!(arn.region, "eu-west-1");
        assert_eq!(arn.account, "123456789012");
        assert_eq!(arn.name, "CloudTrail/Logs");
        assert_eq!(
            arn.to_string(),
            "arn:aws:logs:eu-west-1:123456789012:log-group:CloudTrail/Logs"
        );
    }

    #[test]
    fn topic_arn_parts() {
        let t: TopicArn = "arn:aws:sns:us-east-1:123456789012:alarms".parse().unwrap();
        assert_eq!(
            (t.region(), t.account(), t.name()),
            ("us-east-1", "123456789012", "alarms")
        );
    }

    #[test]
    fn malformed_arns_are_rejected_with_the_reason() {
        for (input, reason) in [
            ("", "does not start with \"arn:\""),
            ("arn:aws:sns:us-east-1:123:alarms", "account is not 12 digits"),
            (
                "arn:aws:sqs:us-east-1:123456789012:q",
                "not an SNS topic ARN (service is not sns)",
            ),
            ("arn:aws:sns::123456789012:alarms", "region is missing or malformed"),
            ("arn:aws:sns:us-east-1:123456789012", "no resource"),
            (
                "arn:aws:sns:us-east-1:123456789012:a b",
                "topic name must be 1-256 of A-Z a-z 0-9 - _ (and .fifo)",
            ),
        ] {
            let err = input.parse::<TopicArn>().unwrap_err();
            assert_eq!(err.reason, reason, "{input}");
        }
        let err = "arn:aws:logs:us-east-1:123456789012:metric:x"
            .parse::<LogGroupArn>()
            .unwrap_err();
        assert_eq!(err.reason, "resource is not log-group:NAME");
    }
}

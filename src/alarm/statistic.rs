//! A CloudWatch statistic over the samples one period holds: Sum, SampleCount, Average,
//! Minimum, Maximum, and the extended statistics (pNN, tmNN, wmNN, tcNN, tsNN, their
//! `XX(a%:b%)` forms, PR(a:b), IQM), computed exactly over a period of at most two
//! distinct sample values: one event's value (once per filter that matches it), and
//! `count` copies of the filter's defaultValue.

/// The samples of one period: the matching event's value (if one happened), `copies`
/// times (one sample per filter on the metric that matches it), and `count` other log
/// events, each publishing `default` (when the filter has a defaultValue).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Period {
    pub event: Option<f64>,
    pub copies: f64,
    pub default: Option<f64>,
    pub count: f64,
}

impl Period {
    /// (value, how many), ascending by value, without empty entries.
    fn samples(&self) -> Vec<(f64, f64)> {
        let mut s: Vec<(f64, f64)> = Vec::new();
        if let Some(v) = self.event.filter(|_| self.copies > 0.0) {
            s.push((v, self.copies));
        }
        if let Some(d) = self.default.filter(|_| self.count > 0.0) {
            match s.iter_mut().find(|(v, _)| *v == d) {
                Some((_, n)) => *n += self.count,
                None => s.push((d, self.count)),
            }
        }
        s.sort_by(|a, b| a.0.total_cmp(&b.0));
        s
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Statistic {
    Sum,
    SampleCount,
    Average,
    Minimum,
    Maximum,
    /// pNN: the value at that percentile.
    Percentile(f64),
    /// tm, wm, tc, ts over the samples between two percentiles.
    Trimmed(Trim, f64, f64),
    /// PR(a:b): the percentage of samples in (a, b].
    PercentileRank(Option<f64>, Option<f64>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trim {
    Mean,
    WinsorizedMean,
    Count,
    Sum,
}

impl Statistic {
    /// Parses a statistic as PutMetricAlarm names it (Statistic or ExtendedStatistic).
    pub fn parse(s: &str) -> Result<Statistic, String> {
        let number = |t: &str| t.trim().parse::<f64>().ok().filter(|n| (0.0..=100.0).contains(n));
        let unsupported = || format!("statistic {s:?} is not one this audit can evaluate");
        Ok(match s {
            "Sum" => Statistic::Sum,
            "SampleCount" => Statistic::SampleCount,
            "Average" => Statistic::Average,
            "Minimum" => Statistic::Minimum,
            "Maximum" => Statistic::Maximum,
            "IQM" => Statistic::Trimmed(Trim::Mean, 25.0, 75.0),
            _ if s.starts_with("PR(") && s.ends_with(')') => {
                let (lo, hi) = s[3..s.len() - 1].split_once(':').ok_or_else(unsupported)?;
                let bound = |b: &str| match b.trim() {
                    "" => Ok(None),
                    b => b.parse::<f64>().map(Some).map_err(|_| unsupported()),
                };
                Statistic::PercentileRank(bound(lo)?, bound(hi)?)
            }
            _ => {
                let lower = s.to_ascii_lowercase();
                let (kind, rest) = ["tm", "wm", "tc", "ts", "p"]
                    .iter()
                    .find_map(|k| lower.strip_prefix(k).map(|r| (*k, r)))
                    .ok_or_else(unsupported)?;
                let (lo, hi) = if let Some(inner) = rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
                    // Only percentage bounds: absolute-value bounds need the data itself.
                    let (lo, hi) = inner.split_once(':').ok_or_else(unsupported)?;
                    let pct = |b: &str| match b.trim() {
                        "" => None,
                        b => b.strip_suffix('%').and_then(number),
                    };
                    let lo = if lo.trim().is_empty() { Some(0.0) } else { pct(lo) };
                    let hi = if hi.trim().is_empty() { Some(100.0) } else { pct(hi) };
                    (lo.ok_or_else(unsupported)?, hi.ok_or_else(unsupported)?)
                } else {
                    (0.0, number(rest).ok_or_else(unsupported)?)
                };
                if kind == "p" {
                    if rest.starts_with('(') {
                        return Err(unsupported());
                    }
                    return Ok(Statistic::Percentile(hi));
                }
                let trim = match kind {
                    "tm" => Trim::Mean,
                    "wm" => Trim::WinsorizedMean,
                    "tc" => Trim::Count,
                    _ => Trim::Sum,
                };
                Statistic::Trimmed(trim, lo, hi)
            }
        })
    }

    /// The statistic's value over the period; None when the period holds no sample
    /// (CloudWatch then has no datapoint).
    pub fn over(&self, period: &Period) -> Option<f64> {
        let samples = period.samples();
        let n: f64 = samples.iter().map(|(_, c)| c).sum();
        if n == 0.0 {
            return None;
        }
        let sum: f64 = samples.iter().map(|(v, c)| v * c).sum();
        Some(match *self {
            Statistic::Sum => sum,
            Statistic::SampleCount => n,
            Statistic::Average => sum / n,
            Statistic::Minimum => samples[0].0,
            Statistic::Maximum => samples[samples.len() - 1].0,
            Statistic::Percentile(p) => at_rank(&samples, (p / 100.0 * n).ceil().max(1.0)),
            Statistic::Trimmed(trim, lo, hi) => {
                // Kept: the samples ranked in (floor(lo n), ceil(hi n)].
                let (from, to) = ((lo / 100.0 * n).floor(), (hi / 100.0 * n).ceil());
                let kept = |(at, (v, c)): (f64, &(f64, f64))| {
                    let (first, last) = (at + 1.0, at + c);
                    let inside = (last.min(to) - first.max(from + 1.0) + 1.0).max(0.0);
                    (*v, inside)
                };
                let ranked = ranks(&samples);
                let window: Vec<(f64, f64)> = ranked.iter().map(|(at, s)| kept((*at, s))).collect();
                let count: f64 = window.iter().map(|(_, c)| c).sum();
                let total: f64 = window.iter().map(|(v, c)| v * c).sum();
                match trim {
                    Trim::Count => count,
                    Trim::Sum => total,
                    Trim::Mean if count == 0.0 => return None,
                    Trim::Mean => total / count,
                    Trim::WinsorizedMean => {
                        let low = at_rank(&samples, (from + 1.0).min(n));
                        let high = at_rank(&samples, to.max(1.0).min(n));
                        let below = from.min(n);
                        let above = (n - to).max(0.0);
                        (total + low * below + high * above) / n
                    }
                }
            }
            Statistic::PercentileRank(lo, hi) => {
                let inside: f64 = samples
                    .iter()
                    .filter(|(v, _)| lo.is_none_or(|lo| *v > lo) && hi.is_none_or(|hi| *v <= hi))
                    .map(|(_, c)| c)
                    .sum();
                100.0 * inside / n
            }
        })
    }

    pub fn name(&self) -> String {
        match self {
            Statistic::Sum => "Sum".into(),
            Statistic::SampleCount => "SampleCount".into(),
            Statistic::Average => "Average".into(),
            Statistic::Minimum => "Minimum".into(),
            Statistic::Maximum => "Maximum".into(),
            Statistic::Percentile(p) => format!("p{p}"),
            Statistic::Trimmed(t, lo, hi) => {
                let k = match t {
                    Trim::Mean => "TM",
                    Trim::WinsorizedMean => "WM",
                    Trim::Count => "TC",
                    Trim::Sum => "TS",
                };
                format!("{k}({lo}%:{hi}%)")
            }
            Statistic::PercentileRank(lo, hi) => format!(
                "PR({}:{})",
                lo.map(|v| v.to_string()).unwrap_or_default(),
                hi.map(|v| v.to_string()).unwrap_or_default()
            ),
        }
    }
}

/// Each entry with the number of samples ranked below it.
fn ranks(samples: &[(f64, f64)]) -> Vec<(f64, &(f64, f64))> {
    let mut below = 0.0;
    samples
        .iter()
        .map(|s| {
            let at = below;
            below += s.1;
            (at, s)
        })
        .collect()
}

/// The sample at 1-based rank `rank`.
fn at_rank(samples: &[(f64, f64)], rank: f64) -> f64 {
    let mut seen = 0.0;
    for (v, c) in samples {
        seen += c;
        if rank <= seen {
            return *v;
        }
    }
    samples.last().map_or(0.0, |s| s.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(v: f64) -> Period {
        Period {
            event: Some(v),
            copies: 1.0,
            default: None,
            count: 0.0,
        }
    }

    fn with_defaults(v: Option<f64>, d: f64, count: f64) -> Period {
        Period {
            event: v,
            copies: 1.0,
            default: Some(d),
            count,
        }
    }

    #[test]
    fn every_statistic_of_one_sample_is_that_sample_or_its_count() {
        for s in [
            "Sum",
            "Average",
            "Minimum",
            "Maximum",
            "p50",
            "p99.9",
            "tm90",
            "wm90",
            "ts90",
            "IQM",
            "TM(10%:90%)",
        ] {
            assert_eq!(Statistic::parse(s).unwrap().over(&one(3.0)), Some(3.0), "{s}");
        }
        for s in ["SampleCount", "tc90"] {
            assert_eq!(Statistic::parse(s).unwrap().over(&one(3.0)), Some(1.0), "{s}");
        }
        assert_eq!(Statistic::parse("PR(2:3)").unwrap().over(&one(3.0)), Some(100.0));
        assert_eq!(Statistic::parse("PR(:2)").unwrap().over(&one(3.0)), Some(0.0));
    }

    #[test]
    fn no_samples_is_no_datapoint() {
        let quiet = Period {
            event: None,
            copies: 0.0,
            default: None,
            count: 0.0,
        };
        assert_eq!(Statistic::Sum.over(&quiet), None);
        assert_eq!(Statistic::Sum.over(&with_defaults(None, 0.0, 0.0)), None);
    }

    #[test]
    fn defaults_dilute_what_depends_on_the_other_events() {
        let busy = with_defaults(Some(1.0), 0.0, 999.0);
        assert_eq!(Statistic::Sum.over(&busy), Some(1.0));
        assert_eq!(Statistic::SampleCount.over(&busy), Some(1000.0));
        assert_eq!(Statistic::Average.over(&busy), Some(0.001));
        assert_eq!(Statistic::Maximum.over(&busy), Some(1.0));
        assert_eq!(Statistic::Minimum.over(&busy), Some(0.0));
        assert_eq!(Statistic::parse("p99").unwrap().over(&busy), Some(0.0));
        assert_eq!(Statistic::parse("p99.95").unwrap().over(&busy), Some(1.0));
        assert_eq!(Statistic::parse("tm99").unwrap().over(&busy), Some(0.0));
        assert_eq!(Statistic::parse("ts100").unwrap().over(&busy), Some(1.0));
        assert_eq!(Statistic::parse("tc99").unwrap().over(&busy), Some(990.0));
        assert_eq!(Statistic::parse("PR(0.5:)").unwrap().over(&busy), Some(0.1));
        let wm = Statistic::parse("wm99").unwrap().over(&busy).unwrap();
        assert!(wm.abs() < 1e-12, "{wm}");
    }

    #[test]
    fn unknown_forms_are_refused_not_guessed() {
        for s in [
            "",
            "Median",
            "p101",
            "tm(100:2000)",
            "p(10%:90%)",
            "PR(a:b)",
            "TM(10:90)",
        ] {
            assert!(Statistic::parse(s).is_err(), "{s}");
        }
    }
}

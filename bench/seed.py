"""The bench's accounts, seeded through scripts/emulator/seeder.py (the one seeder of the
demo and the benches) in the emulator's default account (123456789012).

VARIANTS: one change to the chain each, for the verdict table (bench/run.py's verdicts
  stage); the rule's events and canonical pattern come from the binary
  (`iam-policy-alarm rule`), never retyped.
Scale: 5 multi-region trails homed in 3 regions, each delivering to its own log
  group, 20 log groups in all; metric filters spread evenly over the 20 groups (one
  covering CIS filter on each trail's group, the rest unrelated); alarms: one on each
  covering metric, the rest on unrelated metrics. grow() adds what is missing, with a
  thread pool, so the sizes of the chart are seeded one on top of the other.
"""

from __future__ import annotations

import concurrent.futures
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "scripts", "emulator"))

from seeder import LOG_GROUP, REGION, Seeder, rule  # noqa: E402,F401

ACCOUNT = "123456789012"


def variants() -> dict:
    """name -> (what differs, the changes to Seeder.chain()). Filter patterns on which
    the two tools' verdicts are compared."""
    events = rule()["events"]

    def joined(op, names, quoted=False):
        cond = (lambda e: f'$.eventName = "{e}"') if quoted else (lambda e: f"($.eventName = {e})")
        return f" {op} ".join(cond(e) for e in names)

    any_of = joined("||", events)
    return {
        "cis": ("the CIS benchmark's filter pattern, alarm -> topic with a subscriber", {}),
        "reordered": ("the same 16 events in alphabetical order", {"pattern": "{ " + joined("||", sorted(events)) + " }"}),
        "quoted": ('values quoted, no parentheses: `$.eventName = "PutRolePolicy" || ...`',
                   {"pattern": "{ " + joined("||", events, quoted=True) + " }"}),
        # CloudWatch Logs wildcards only work at the ends of a value ("Ev*ent" is literal).
        "wildcards": ("a broader pattern that covers all 16: `$.eventName = *Policy || *PolicyVersion`, `&&` iam.amazonaws.com",
                      {"pattern": "{ ($.eventSource = iam.amazonaws.com) && (($.eventName = *Policy) || ($.eventName = *PolicyVersion)) }"}),
        "iam_scoped": ("the 16 events `&&` `$.eventSource = iam.amazonaws.com`",
                       {"pattern": "{ ($.eventSource = iam.amazonaws.com) && (" + any_of + ") }"}),
        "and_joined": ("the 16 conditions joined with `&&` (matches no event)", {"pattern": "{ " + joined("&&", events) + " }"}),
        "wrong_source": ("the 16 events `&&` `$.eventSource = s3.amazonaws.com` (matches no IAM event)",
                         {"pattern": "{ ($.eventSource = s3.amazonaws.com) && (" + any_of + ") }"}),
        "missing_one": (f"15 of the 16 events ({events[-1]} missing)", {"pattern": "{ " + joined("||", events[:-1]) + " }"}),
        "threshold_5": ("alarm threshold 5: one policy change does not alarm", {"threshold": 5.0}),
        "actions_disabled": ("alarm actions disabled", {"actions_enabled": False}),
        "no_subscriber": ("the alarm's topic has no subscriber", {"subscribe": False}),
    }


SCALE_REGIONS = ["us-east-1", "us-west-2", "eu-west-1"]
TRAIL_HOMES = ["us-east-1", "us-east-1", "us-west-2", "us-west-2", "eu-west-1"]
LOG_GROUPS = 20


class Scale:
    """The scale account, grown in place: grow(filters, alarms)."""

    def __init__(self, seeder: Seeder, workers: int = 16):
        self.s = seeder
        self.workers = workers
        self.filters = 0
        self.alarms = 0
        self.groups: list[tuple[str, str]] = []  # (region, name)
        self.topics: dict[str, str] = {}
        self.logs = {r: seeder.client("logs", r) for r in SCALE_REGIONS}
        self.cw = {r: seeder.client("cloudwatch", r) for r in SCALE_REGIONS}

    def base(self):
        """Trails, log groups, topics, and on each trail's group its covering filter and
        alarm: 5 filters and 5 alarms."""
        for i, region in enumerate(TRAIL_HOMES):
            self.groups.append((region, f"cloudtrail/trail-{i}"))
        for k in range(LOG_GROUPS - len(TRAIL_HOMES)):
            self.groups.append((SCALE_REGIONS[k % 3], f"app/service-{k}"))
        for region, name in self.groups:
            self.logs[region].create_log_group(logGroupName=name)
        for region in SCALE_REGIONS:
            self.topics[region], _ = self.s.topic_with_subscriber(region, "iam-alarms")
        for i, region in enumerate(TRAIL_HOMES):
            group = self.groups[i][1]
            self.s.trail(region, f"trail-{i}", self.s.group_arn(region, group))
            r = rule()
            self.s.metric_filter(self.logs[region], group, r["filter_name"], r["canonical_pattern"],
                                 r["metric_namespace"], f"{r['metric_name']}{i}")
            self.s.alarm(self.cw[region], f"IAMPolicyChanges-{i}", r["metric_namespace"], f"{r['metric_name']}{i}", self.topics[region])
        self.filters = self.alarms = len(TRAIL_HOMES)

    def _filter(self, n: int):
        region, group = self.groups[n % LOG_GROUPS]
        self.logs[region].put_metric_filter(
            logGroupName=group,
            filterName=f"app-filter-{n}",
            filterPattern=f'{{ ($.level = "ERROR") && ($.code = {n}) }}',
            metricTransformations=[{"metricName": f"AppErrors{n}", "metricNamespace": "App", "metricValue": "1"}],
        )

    def _alarm(self, n: int):
        region = SCALE_REGIONS[n % 3]
        self.s.alarm(self.cw[region], f"app-alarm-{n}", "App", f"AppErrors{n % 997}", self.topics[region])

    def alarms_in(self, region: str) -> int:
        """Alarms seeded in `region`: the covering ones of its trails and its share of the rest."""
        covering = TRAIL_HOMES.count(region)
        i = SCALE_REGIONS.index(region)
        rest = len([n for n in range(len(TRAIL_HOMES), self.alarms) if n % 3 == i])
        return covering + rest

    def grow(self, filters: int, alarms: int):
        with concurrent.futures.ThreadPoolExecutor(self.workers) as pool:
            jobs = [pool.submit(self._filter, n) for n in range(self.filters, filters)]
            jobs += [pool.submit(self._alarm, n) for n in range(self.alarms, alarms)]
            for j in jobs:
                j.result()
        self.filters = max(self.filters, filters)
        self.alarms = max(self.alarms, alarms)


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "cis"
    s = Seeder(os.environ["AWS_ENDPOINT_URL"])
    s.reset()
    print(s.remediable() if what == "remediable" else s.chain(**variants()[what][1]))

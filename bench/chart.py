"""Draws bench/scale.png from the scale results bench/run.py wrote (JSON):
API calls and audit wall time against account size, for iam-policy-alarm and Prowler.
Run by bench/run.py with .venv-bench's Python (matplotlib, pinned in
bench/requirements-chart.txt)."""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(results_path: str, png_path: str):
    with open(results_path) as f:
        results = json.load(f)
    rows = results["scale"]["points"]
    alarms = [r["alarms"] for r in rows]
    ours_calls = [r["ours"]["calls"] for r in rows]
    ours_ms = [r["ours"].get("wall_ms_counted", r["ours"]["wall_ms_median"]) for r in rows]
    prowler = [r.get("prowler") for r in rows]
    have_prowler = all(p and p.get("wall_ms") for p in prowler)

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8), dpi=80)
    left.plot(alarms, ours_calls, "o-", color="#1f77b4", label="iam-policy-alarm (measured)")
    if have_prowler and all(p.get("calls") for p in prowler):
        left.plot(alarms, [p["calls"] for p in prowler], "s--", color="#d62728", label="Prowler, 1 region (measured)")
    listing = [r["listing_design_calls_on_aws"] for r in rows]
    left.plot(alarms, listing, ":", color="#7f7f7f", label="a design that lists all alarms (pages on AWS, computed)")
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xlabel("alarms in the account (filters: " + ", ".join(str(r["filters"]) for r in rows) + ")")
    left.set_ylabel("API calls per audit")
    left.set_title("API calls")
    left.grid(True, which="both", alpha=0.3)
    left.legend(fontsize=7, loc="upper left")

    right.plot(alarms, ours_ms, "o-", color="#1f77b4", label="iam-policy-alarm")
    if have_prowler:
        right.plot(alarms, [p["wall_ms"] for p in prowler], "s--", color="#d62728", label="Prowler, 1 region")
    right.set_xscale("log")
    right.set_yscale("log")
    right.set_xlabel("alarms in the account")
    right.set_ylabel("wall time per audit, ms (whole process)")
    right.set_title("Wall time, one run each through the counting proxy")
    right.grid(True, which="both", alpha=0.3)
    right.legend(fontsize=7, loc="upper left")

    fig.suptitle(
        f"5 trails in 3 regions, 20 log groups; {results['meta']['date']} on {results['meta']['machine_short']}",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(png_path, dpi=80)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

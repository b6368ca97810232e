"""PNG plots of a bench/run.sh result directory (run by run.sh in bench/.venv).

    python bench/plot.py <result-dir> [<publish-dir>]

Reads <result-dir>/results.txt (lines "broker metric value"; medians over rounds are
plotted, as in the table) and writes throughput.png, latency.png and resources.png
there, and copies them to <publish-dir> when given (docs/benchmarks with
BENCH_PUBLISH=1). Workloads a run did not measure are left out.
"""
import os
import shutil
import statistics
import sys
from collections import defaultdict

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

BROKERS = [("kafka", "Kafka", "#888888"), ("moldau", "Moldau", "#1f77b4")]

THROUGHPUT = [
    ("p100_a1", "produce 100 B\nacks=1"),
    ("raw100_a1", "produce 100 B\nbroker-limited"),
    ("p1k_a1", "produce 1 KB\nacks=1"),
    ("p100_all", "produce 100 B\nacks=all"),
    ("p1k_all", "produce 1 KB\nacks=all"),
    ("raw1k_all", "produce 1 KB acks=all\nbroker-limited"),
    ("fsync_1k", "produce 1 KB\nfsync-on-ack"),
    ("consume_1k", "consume 1 KB\n1 thread"),
    ("consume_1k_t2", "consume 1 KB\n2 threads"),
]
LATENCY = ["e2e_fix", "e2e_lo", "e2e_hi"]


def load(path):
    vals = defaultdict(list)
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) != 3:
                continue
            try:
                vals[(parts[0], parts[1])].append(float(parts[2]))
            except ValueError:
                pass
    return {k: statistics.median(v) for k, v in vals.items()}, vals


def fmt_ratio(r):
    """Moldau/Kafka as in the table (2.30x); tiny ratios as 1/N so they stay readable."""
    return f"{r:.2f}x" if r >= 0.1 else f"1/{1 / r:.0f}"


def bars(ax, labels, series, ylabel, log=False, ratio_higher=None):
    n = len(labels)
    width = 0.38
    xs = range(n)
    for i, (key, name, color) in enumerate(BROKERS):
        ys = [series[key][j] for j in range(n)]
        pos = [x + (i - 0.5) * width for x in xs]
        ax.bar(pos, [y if y is not None else 0 for y in ys], width, label=name, color=color)
    if ratio_higher is not None:
        for j in range(n):
            k, m = series["kafka"][j], series["moldau"][j]
            if k and m:
                top = max(k, m)
                ax.annotate(fmt_ratio(m / k), (j, top), ha="center", va="bottom", fontsize=8,
                            xytext=(0, 2), textcoords="offset points")
    ax.set_xticks(list(xs))
    ax.set_xticklabels(labels, fontsize=8)
    ax.set_ylabel(ylabel)
    if log:
        ax.set_yscale("log")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)


def main():
    d = sys.argv[1]
    publish = sys.argv[2] if len(sys.argv) > 2 else None
    med, _ = load(os.path.join(d, "results.txt"))
    title = ""
    tfile = os.path.join(d, "table.txt")
    if os.path.exists(tfile):
        with open(tfile) as f:
            title = f.readline().strip()
    get = lambda b, m: med.get((b, m))  # noqa: E731
    written = []

    tp = [(n, lab) for n, lab in THROUGHPUT if get("moldau", n + ".mbps") or get("kafka", n + ".mbps")]
    if tp:
        fig, (a1, a2) = plt.subplots(2, 1, figsize=(max(7, 1.5 * len(tp)), 7.5))
        labels = [lab for _, lab in tp]
        bars(a1, labels, {b: [get(b, n + ".mbps") for n, _ in tp] for b, _, _ in BROKERS},
             "MB/s (key+value bytes)", ratio_higher=True)
        a1.set_title("Throughput (higher is better; label = Moldau/Kafka)", fontsize=10)
        bars(a2, labels, {b: [get(b, n + ".cpu_per_gb") for n, _ in tp] for b, _, _ in BROKERS},
             "broker CPU s per GB", ratio_higher=True)
        a2.set_title("Broker CPU seconds per GB moved (lower is better)", fontsize=10)
        fig.suptitle(title, fontsize=8)
        fig.tight_layout()
        p = os.path.join(d, "throughput.png")
        fig.savefig(p, dpi=110)
        written.append(p)
        plt.close(fig)

    lat = [n for n in LATENCY if get("moldau", n + ".p50") or get("kafka", n + ".p50")]
    if lat:
        fig, axes = plt.subplots(1, len(lat), figsize=(max(7.5, 4.2 * len(lat)), 4.6), squeeze=False)
        rates = {}
        rfile = os.path.join(d, "e2e_rates.txt")
        if os.path.exists(rfile):
            with open(rfile) as f:
                for line in f:
                    k, v = line.split()
                    rates[k] = v
        for ax, n in zip(axes[0], lat):
            labels = ["p50", "p99", "p99.9"]
            series = {b: [(get(b, f"{n}.{q}") or 0) / 1000.0 or None for q in ("p50", "p99", "p999")]
                      for b, _, _ in BROKERS}
            bars(ax, labels, series, "ms (log scale)", log=True, ratio_higher=True)
            ax.set_title(f"end-to-end latency @ {rates.get(n, '?')} records/s", fontsize=10)
        fig.suptitle("End-to-end latency, produce -> consume (lower is better; label = Moldau/Kafka)\n" + title,
                     fontsize=8)
        fig.tight_layout()
        p = os.path.join(d, "latency.png")
        fig.savefig(p, dpi=110)
        written.append(p)
        plt.close(fig)

    res = [(m, lab) for m, lab in [("idle_rss_mb", "RSS idle MB"), ("load_rss_mb", "RSS peak MB"),
                                    ("startup_ms", "start-up ms"), ("restart_ms", "restart after\nSIGKILL ms")]
           if get("moldau", m) or get("kafka", m)]
    if res:
        fig, ax = plt.subplots(figsize=(max(8.5, 1.6 * len(res)), 4.2))
        series = {b: [get(b, m) for m, _ in res] for b, _, _ in BROKERS}
        bars(ax, [lab for _, lab in res], series, "log scale", log=True, ratio_higher=True)
        ax.set_title("Memory and start-up (lower is better; label = Moldau/Kafka)", fontsize=10)
        fig.suptitle(title, fontsize=8)
        fig.tight_layout()
        p = os.path.join(d, "resources.png")
        fig.savefig(p, dpi=110)
        written.append(p)
        plt.close(fig)

    if publish:
        os.makedirs(publish, exist_ok=True)
        for p in written:
            shutil.copy(p, os.path.join(publish, os.path.basename(p)))
    for p in written:
        print(p)


if __name__ == "__main__":
    main()

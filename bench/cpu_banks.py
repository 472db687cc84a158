#!/usr/bin/env python3
"""CPU benchmark (on demand): per-row routed adapter banks (issue 13, item 7).

One 1024x1024 linear layer (as cpu_lora.py) on x [G, S, 1024]: G row groups
(sequences) of S tokens. A bank of T = 1, 4, 16, 64 tasks with ragged ranks
drawn from 8..64 (seeded), routed so that the G = 64 groups cycle through the
tasks, against, in the same run:

- base:    the layer alone;
- single:  one LoRA adapter at the bank's mean rank on every row (the cost
           the routed batch should match: the same adapter FLOPs);
- single-max: one adapter at rank 64 (what padding every task to the largest
           rank costs).

Goal (issue 13): routed <= 1.1x single. All through peft_mlir's CPU JIT
(single-threaded code), medians of REPEAT round-robin runs after WARMUP. The
routed output is checked against numpy's float64 per-group formula
(REFERENCE §2) to 1e-4 of its largest magnitude. Writes
bench/results/cpu_banks.md.

  cmake --build build --target _peft_mlir
  PYTHONPATH=build/python_packages ~/.cache/peft-mlir/venv/bin/python bench/cpu_banks.py
"""
import datetime
import os
import platform
import sys
import tempfile

import numpy as np

import peft_mlir

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cpu_lora import K, N, linear_model, timed, write_adapter  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "bench", "results", "cpu_banks.md")
GROUPS = 64
SEQS = (1, 16)
TASKS = (1, 4, 16, 64)
RANKS = (8, 64)  # ragged ranks are drawn from [8, 64]


def adapter_arrays(rank, seed):
    rng = np.random.default_rng(seed)
    a = (0.1 * rng.standard_normal((rank, K))).astype(np.float32)
    b = (0.1 * rng.standard_normal((N, rank))).astype(np.float32)
    return a, b


def main():
    import cpu_lora
    cpu_lora.REPEAT = int(os.environ.get("REPEAT", 30))
    tmp = tempfile.mkdtemp(prefix="peft-bench-banks-")
    path = os.path.join(tmp, "linear.onnx")
    linear_model(path)
    w = None
    base = peft_mlir.import_onnx(path)
    base.raise_linear()

    rows = []
    for num_tasks in TASKS:
        rng = np.random.default_rng(num_tasks)
        ranks = [int(r) for r in rng.integers(RANKS[0], RANKS[1] + 1, num_tasks)]
        bank = peft_mlir.import_onnx(path)
        for t, rank in enumerate(ranks):
            d = os.path.join(tmp, f"t{num_tasks}_{t}")
            write_adapter(d, rank, seed=1000 * num_tasks + t)
            bank.add_task(f"task{t}", d)
        bank.route_tasks()
        ids = np.arange(GROUPS, dtype=np.int64) % num_tasks
        # The single adapters: the same FLOPs as the routed batch (mean rank
        # of the rows' tasks), and the largest rank.
        mean_rank = max(1, round(float(np.mean([ranks[i] for i in ids]))))
        singles = {}
        for label, rank in (("single", mean_rank), ("single-max", RANKS[1])):
            d = os.path.join(tmp, f"single_{num_tasks}_{label}")
            write_adapter(d, rank, seed=7)
            m = peft_mlir.import_onnx(path)
            m.load_adapter(d)
            singles[label] = m
        # The bytes the routed batch must read beyond the single-adapter
        # run's: every task present brings its own A and B (padded ranks, as
        # the lowering stores them), the single run one adapter.
        padded = [-(-r // 8) * 8 for r in ranks]
        extra_bytes = (sum(padded[t] for t in set(ids.tolist()))
                       - -(-mean_rank // 8) * 8) * (K + N) * 4
        extra = np.ones(max(extra_bytes // 4, 1), np.float32)
        for seq in SEQS:
            x = np.random.default_rng(seq).standard_normal((GROUPS, seq, K)).astype(np.float32)
            feeds = {"x": x.reshape(GROUPS * seq, K)}
            routed_feeds = {**feeds, "task_ids": ids}
            (t_base, t_single, t_max, t_routed, t_read), (y_base, _, _, y_routed, _) = timed([
                lambda: base.run(feeds), lambda: singles["single"].run(feeds),
                lambda: singles["single-max"].run(feeds), lambda: bank.run(routed_feeds),
                lambda: {"sum": np.add.reduce(extra)}])
            if extra_bytes <= 0:
                t_read = 0.0
            # numpy's float64 reference, per group at its task's own rank.
            ref = y_base.astype(np.float64).reshape(GROUPS, seq, N)
            xd = x.astype(np.float64)
            for g, t in enumerate(ids):
                a, b = adapter_arrays(ranks[t], 1000 * num_tasks + t)
                ref[g] += 2.0 * (xd[g] @ a.T.astype(np.float64)) @ b.T.astype(np.float64)
            scale = float(np.max(np.abs(ref)))
            err = float(np.max(np.abs(y_routed.reshape(GROUPS, seq, N) - ref))) / scale
            if err > 1e-4:
                sys.exit(f"bench: routed output off by {err:.2e} (T={num_tasks}, S={seq})")
            # Bytes the routed batch must read beyond the base weight: every
            # task present brings its own A and B.
            adapter_bytes = sum(ranks[t] for t in set(ids.tolist())) * (K + N) * 4
            rows.append((num_tasks, seq, min(ranks), max(ranks), mean_rank, t_base,
                         t_single, t_max, t_routed, adapter_bytes / (K * N * 4),
                         max(extra_bytes, 0), t_read))
            print(f"T={num_tasks:2d} S={seq:2d} ranks {min(ranks)}..{max(ranks)} "
                  f"(mean {mean_rank}): base {t_base*1e3:7.3f} ms  single x{t_single/t_base:5.2f}"
                  f"  single-max x{t_max/t_base:5.2f}  routed x{t_routed/t_base:5.2f}"
                  f"  routed/single {t_routed/t_single:5.2f}"
                  f"  floor {(t_single + t_read)/t_single:5.2f}", flush=True)

    with open(RESULTS + ".tmp", "w") as f:
        f.write("# CPU: per-row routed adapter banks\n\n")
        f.write(f"Written by `bench/cpu_banks.py` on {datetime.date.today()} "
                f"({platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
                f"single-threaded JIT code). One {K}x{N} linear layer on {GROUPS} row "
                f"groups (sequences) of S tokens; a bank of T tasks with ragged ranks "
                f"drawn from {RANKS[0]}..{RANKS[1]}, group g running task g mod T. "
                f"`single`: one adapter at the mean rank of the rows' tasks on every row "
                f"(the same adapter FLOPs); `single-max`: one adapter at rank {RANKS[1]} "
                f"(padding every task to the largest rank). Medians of {cpu_lora.REPEAT} "
                f"round-robin runs; ratios to the base layer in the same run; routed "
                f"outputs checked against numpy float64 (1e-4). Goal: routed <= 1.1x "
                f"single. `adapter bytes`: the A and B of all tasks in the batch, "
                f"relative to the base weight ({K * N * 4 >> 20} MiB): what the routed "
                f"batch reads on top of what the single-adapter run reads. `extra bytes`: "
                f"those bytes less the single adapter's (ranks padded to 8, as stored), "
                f"and `read` the time numpy takes to read that many bytes (one "
                f"`np.add.reduce` over a float32 array of that size, timed in the same "
                f"round-robin, so that it meets the same cache state). `floor` = "
                f"(single + read) / single: the ratio a routed batch would reach if it "
                f"cost the single-adapter run plus one read of its extra adapter bytes "
                f"and nothing else, the least it can cost when the adapters come "
                f"from memory.\n\n")
        f.write("| T | S | ranks | mean rank | adapter bytes | base (ms) | single | single-max | routed | extra bytes | read (ms) | routed / single | floor |\n"
                "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
        for (t, s, lo, hi, mean, tb, ts, tm, tr, ab, eb, rd) in rows:
            f.write(f"| {t} | {s} | {lo}..{hi} | {mean} | {ab:.2f}x | {tb*1e3:.3f} | {ts/tb:.2f}x | "
                    f"{tm/tb:.2f}x | {tr/tb:.2f}x | {eb / 2**20:.1f} MiB | {rd*1e3:.3f} | "
                    f"{tr/ts:.2f} | {(ts + rd)/ts:.2f} |\n")
    os.replace(RESULTS + ".tmp", RESULTS)
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()

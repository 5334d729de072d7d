"""PyTorch doing the work `npm run bench:train` times, in the same window on the same machine.

Follows the protocol of ../shared/reference/ml-100k-bench.json (MF BPR on ML-100K's leave-last-out
training split, one uniform negative per positive outside the user's training items by vectorised
rejection sampling, timed; batch 1,024; L2 1e-3 in the loss; lr 1e-3; N(0, 0.1²) init; the median
of 3 epochs after a warm-up; dense torch.optim.Adam and nn.Embedding(sparse=True) + SparseAdam;
then scoring all users, masking training items and taking the top 10, median of 20 after 3
warm-ups; then soft-label distillation over 100 candidates, as `distill_throughput` says) and prints a JSON document of the same shape, so that the kdrec bench can print both
figures measured minutes apart. Run by tools/bench/pytorch/run.sh (which makes the virtualenv);
with --serve, one measurement per request, for bench:train to ask just before its own (`serve`).
"""

import json
import os
import statistics
import sys
import time

import numpy as np
import torch

torch.set_num_threads(2)
BATCH = 1024


def leave_last_out_train(path):
    raw = np.loadtxt(os.path.join(path, "u.data"), dtype=np.int64)
    users, items, times = raw[:, 0], raw[:, 1], raw[:, 3]
    _, user_index = np.unique(users, return_inverse=True)
    _, item_index = np.unique(items, return_inverse=True)
    order = np.lexsort((np.arange(len(times)), times, user_index))
    keep = np.ones(len(order), dtype=bool)
    ends = np.flatnonzero(np.diff(np.append(user_index[order], -1)) != 0)
    keep[ends] = False  # test
    keep[ends - 1] = False  # validation
    rows = order[keep]
    return user_index[rows], item_index[rows], int(user_index.max()) + 1, int(item_index.max()) + 1


def negatives(users, seen, n_items, generator):
    out = torch.randint(n_items, (len(users),), generator=generator)
    bad = seen[users, out]
    while bad.any():
        out[bad] = torch.randint(n_items, (int(bad.sum()),), generator=generator)
        bad = seen[users, out]
    return out


def mf_training(train_users, train_items, n_users, n_items, dim, sparse):
    """The MF tables (N(0, 0.1^2)), their Adam (dense, or SparseAdam over sparse gradients), the
    training items per user as a dense mask (for the negatives) and the draws' generator."""
    p = torch.nn.Embedding(n_users, dim, sparse=sparse)
    q = torch.nn.Embedding(n_items, dim, sparse=sparse)
    torch.nn.init.normal_(p.weight, 0, 0.1)
    torch.nn.init.normal_(q.weight, 0, 0.1)
    params = list(p.parameters()) + list(q.parameters())
    optimizer = torch.optim.SparseAdam(params, lr=1e-3) if sparse else torch.optim.Adam(params, lr=1e-3)
    seen = torch.zeros(n_users, n_items, dtype=torch.bool)
    seen[train_users, train_items] = True
    return p, q, optimizer, seen, torch.Generator().manual_seed(1)


def throughput(train_users, train_items, n_users, n_items, dim, sparse):
    torch.manual_seed(1)
    p, q, optimizer, seen, generator = mf_training(train_users, train_items, n_users, n_items, dim, sparse)
    n = len(train_users)

    def epoch():
        start = time.perf_counter()
        order = torch.randperm(n, generator=generator)
        for b in range(0, n, BATCH):
            rows = order[b : b + BATCH]
            u, i = train_users[rows], train_items[rows]
            j = negatives(u, seen, n_items, generator)
            pu, qi, qj = p(u), q(i), q(j)
            margin = (pu * qi).sum(1) - (pu * qj).sum(1)
            loss = torch.nn.functional.softplus(-margin).mean() + 1e-3 * (
                pu.pow(2).sum() + qi.pow(2).sum() + qj.pow(2).sum()
            ) / len(rows)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return n / (time.perf_counter() - start)

    epoch()
    return statistics.median([epoch() for _ in range(3)])


# The list losses of kdrec's bench:train (LIST_LOSSES there): columns after the first two (the
# teacher's top items first, then uniform draws), whether the negative comes first, the weight of
# the distillation term (BPR gets the rest).
LIST_LOSSES = {
    "soft-label": dict(top=0, uniform=100, negative_first=True, alpha=0.8),
    "mse": dict(top=0, uniform=14, negative_first=False, alpha=0.5),
    "ranking": dict(top=10, uniform=0, negative_first=False, alpha=0.5),
    "listwise": dict(top=10, uniform=50, negative_first=False, alpha=0.8),
}


def distillation_term(loss, scores, targets, temperature=0.5):
    """The distillation term over rows of list scores (columns as LIST_LOSSES lays them out);
    `targets` holds the teacher's scores of the same lists."""
    if loss == "soft-label":
        log_q = torch.log_softmax(scores[:, 1:] / temperature, 1)
        soft = torch.softmax(targets[:, 1:] / temperature, 1)
        return -(soft * log_q).sum(1).mean() * temperature * temperature
    if loss == "mse":
        return (scores - targets).pow(2).mean()
    if loss == "ranking":
        weights = torch.exp(-torch.arange(10, dtype=torch.float32) / 5)
        weights = weights / weights.sum()
        return (torch.nn.functional.softplus(scores[:, 1:2] - scores[:, 2:12]) * weights).sum(1).mean()
    # listwise: Plackett-Luce of the top 10 in order, the 50 uniform items in every denominator
    top, below = scores[:, 2:12], scores[:, 12:]
    suffix = torch.logcumsumexp(top.flip(1), 1).flip(1)
    return (torch.logaddexp(suffix, torch.logsumexp(below, 1, keepdim=True)) - top).sum(1).mean()


def distill_throughput(train_users, train_items, n_users, n_items, dim, sparse, loss="soft-label"):
    """Distillation as kdrec's bench:train times it (LIST_LOSSES): soft labels over [negative,
    positive, 100 uniform] at T = 0.5; MSE over [positive, negative, 14 uniform]; ranking
    distillation of the teacher's top 10; Plackett-Luce of the top 10 with 50 uniform below. The
    teacher's scores are looked up in a precomputed [users, items] table (an MF-128's), its top 10
    per user computed once; loss (1 - alpha) * BPR + alpha * term; L2 1e-3 on the rows in the loss
    (dense: the lists' distinct item rows); Adam lr 1e-3; candidate draws timed."""
    torch.manual_seed(1)
    spec = LIST_LOSSES[loss]
    teacher = (torch.randn(n_users, 128) * 0.1) @ (torch.randn(n_items, 128) * 0.1).T
    teacher_top = torch.topk(teacher, 10, 1).indices if spec["top"] else None
    p, q, optimizer, seen, generator = mf_training(train_users, train_items, n_users, n_items, dim, sparse)
    n = len(train_users)
    alpha = spec["alpha"]

    def epoch():
        start = time.perf_counter()
        order = torch.randperm(n, generator=generator)
        for b in range(0, n, BATCH):
            rows = order[b : b + BATCH]
            u, i = train_users[rows], train_items[rows]
            j = negatives(u, seen, n_items, generator)
            pair = [j[:, None], i[:, None]] if spec["negative_first"] else [i[:, None], j[:, None]]
            extra = [teacher_top[u]] if spec["top"] else []
            if spec["uniform"]:
                extra.append(torch.randint(n_items, (len(rows), spec["uniform"]), generator=generator))
            lists = torch.cat(pair + extra, 1)
            pu = p(u)
            if sparse:
                # Sparse gradients need the lists' rows looked up.
                rows_touched = q(lists)
                scores = torch.bmm(rows_touched, pu[:, :, None]).squeeze(2)
            else:
                # Dense: every item scored and the lists gathered, 4.5x faster than looking the
                # lists' rows up at d = 128 (the lookup's backward dominates) and faster at d = 8.
                scores = (pu @ q.weight.T).gather(1, lists)
                rows_touched = q.weight[torch.unique(lists)]
            targets = teacher[u[:, None], lists]
            positive, negative = (1, 0) if spec["negative_first"] else (0, 1)
            bpr = torch.nn.functional.softplus(scores[:, negative] - scores[:, positive]).mean()
            term = distillation_term(loss, scores, targets)
            total = (1 - alpha) * bpr + alpha * term + 1e-3 * (pu.pow(2).sum() + rows_touched.pow(2).sum()) / len(rows)
            optimizer.zero_grad()
            total.backward()
            optimizer.step()
        return n / (time.perf_counter() - start)

    epoch()
    return statistics.median([epoch() for _ in range(3)])


def score_ms(train_users, train_items, n_users, n_items, dim, mask_and_top):
    torch.manual_seed(1)
    p, q = torch.randn(n_users, dim) * 0.1, torch.randn(n_items, dim) * 0.1
    seen = torch.zeros(n_users, n_items, dtype=torch.bool)
    seen[train_users, train_items] = True

    def once():
        with torch.no_grad():
            scores = p @ q.T
            if mask_and_top:
                torch.topk(scores.masked_fill(seen, float("-inf")), 10).indices.numpy()

    for _ in range(3):
        once()
    times = []
    for _ in range(20):
        start = time.perf_counter()
        once()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main():
    path = sys.argv[1]
    users, items, n_users, n_items = leave_last_out_train(path)
    train_users, train_items = torch.from_numpy(users), torch.from_numpy(items)
    result = {
        "what": f"PyTorch {torch.__version__} CPU, measured by tools/bench/pytorch/bench_train.py on {time.strftime('%Y-%m-%d %H:%M')} ({len(users)} training interactions)",
        "train_interactions_per_s": {},
        "score_all_users_ms": {},
        "distill_interactions_per_s": {},
    }
    for dim in (8, 64, 128):
        for kind in ("dense", "sparse"):
            rate = throughput(train_users, train_items, n_users, n_items, dim, kind == "sparse")
            result["train_interactions_per_s"][f"d{dim}-{kind}-adam"] = round(rate)
            print(f"d={dim} {kind} Adam: {rate:,.0f} interactions/s", file=sys.stderr)
        for loss in LIST_LOSSES:
            # Soft labels' figures keep the key they were first stored under.
            key = "distill_interactions_per_s" if loss == "soft-label" else f"distill_{loss}_interactions_per_s"
            for kind in ("dense", "sparse"):
                rate = distill_throughput(train_users, train_items, n_users, n_items, dim, kind == "sparse", loss)
                result.setdefault(key, {})[f"d{dim}-{kind}-adam"] = round(rate)
                print(f"d={dim} {loss} distillation, {kind} Adam: {rate:,.0f} interactions/s", file=sys.stderr)
        for name, full in (("scores", False), ("scores+mask+top10", True)):
            ms = score_ms(train_users, train_items, n_users, n_items, dim, full)
            result["score_all_users_ms"][f"d{dim} {name}"] = round(ms, 2)
            print(f"d={dim} {name}: {ms:.2f} ms", file=sys.stderr)
    print(json.dumps(result, indent=1))


def serve(path):
    """`bench_train.py DATA --serve`: the same measurements one at a time, a JSON request a line
    on stdin ({"work": "train" | "distill" | "top10", "dim", "sparse", "loss"}) and a JSON answer
    a line on stdout ({"value"}: interactions/s, or ms for top10), after a first line describing
    the run. `npm run bench:train` asks for each figure just before it measures its own, so that
    both sides of a ratio come from the same minute of this VM's drifting speed."""
    users, items, n_users, n_items = leave_last_out_train(path)
    train_users, train_items = torch.from_numpy(users), torch.from_numpy(items)
    what = f"PyTorch {torch.__version__} CPU, {torch.get_num_threads()} threads ({len(users)} training interactions)"
    print(json.dumps({"what": what}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        work, dim, sparse = request["work"], request["dim"], request.get("sparse", False)
        if work == "train":
            value = throughput(train_users, train_items, n_users, n_items, dim, sparse)
        elif work == "distill":
            value = distill_throughput(train_users, train_items, n_users, n_items, dim, sparse, request["loss"])
        elif work == "top10":
            value = score_ms(train_users, train_items, n_users, n_items, dim, True)
        else:
            raise ValueError(f"unknown work {work!r}")
        print(json.dumps({"value": value}), flush=True)


if "--serve" in sys.argv[2:]:
    serve(sys.argv[1])
else:
    main()

"""Making the inputs of the reference cases, and calling a case (shared by the maker and
the tests; works with real Chainer and with shinsou.chainer)."""

import numpy as np

NO_GRAD = {
    "accuracy",
    "binary_accuracy",
    "argmax",
    "argmin",
    "classification_summary",
    "f1_score",
    "r2_score",
    "fix",
}


def make_input(rng, shape, kind, dtype, scale=1.0):
    if kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    if kind == "sep":  # distinct values, well apart: no ties in max/argmax/pooling
        n = int(np.prod(shape))
        vals = ((rng.permutation(n) - n / 2) * 0.1 + rng.uniform(-0.02, 0.02, n)) * scale
        return vals.reshape(shape).astype(dtype)
    if kind == "pos":
        return rng.uniform(0.5, 2.0, shape).astype(dtype)
    if kind == "unit":
        return rng.uniform(-0.9, 0.9, shape).astype(dtype)
    if kind == "prob":
        return rng.uniform(0.0, 1.0, shape).astype(dtype)
    if kind == "dist":  # a probability distribution along axis 1 (soft targets)
        p = rng.uniform(0.05, 1.0, shape)
        return (p / p.sum(axis=1, keepdims=True)).astype(dtype)
    if kind == "mask":
        return rng.uniform(size=shape) > 0.5
    if kind == "bin":
        return rng.integers(0, 2, shape).astype(np.int32)
    if kind == "bin-ign":
        return rng.integers(-1, 2, shape).astype(np.int32)
    if kind == "perm":
        return rng.permutation(shape[0]).astype(np.int32)
    name, n = kind.split(":")
    n = int(n)
    if name in ("label", "idx"):
        return rng.integers(0, n, shape).astype(np.int32)
    if name in ("ign", "idx-ign"):
        a = rng.integers(0, n, shape).astype(np.int32)
        a.reshape(-1)[::3] = -1
        return a
    raise ValueError(kind)


def extra_kwargs(case, arrays, rng=None):
    """The random keyword arrays (dropout's mask, gaussian's eps): made with ``rng`` by the
    maker, read back from ``arrays`` (the stored case) by the tests."""
    out = {}
    dtype = np.dtype(case.get("dtype", "float32"))
    if "mask_kw" in case:
        if rng is not None:
            shape = case["inputs"][0][0]
            ratio = case["kwargs"]["ratio"]
            keep = rng.uniform(size=shape) >= ratio
            arrays["mask"] = (keep / (1 - ratio)).astype(dtype)
        out[case["mask_kw"]] = arrays["mask"]
    if "r_kw" in case:
        if rng is not None:
            arrays["r"] = rng.uniform(0.1, 0.3, case["inputs"][0][0]).astype(dtype)
        out[case["r_kw"]] = arrays["r"]
    if case.get("running_kw"):  # batch_renormalization's running statistics (not updated)
        if rng is not None:
            c = case["inputs"][1][0]
            arrays["running_mean"] = (0.5 * rng.standard_normal(c)).astype(dtype)
            arrays["running_var"] = rng.uniform(0.2, 3.0, c).astype(dtype)
        out["running_mean"] = arrays["running_mean"].copy()
        out["running_var"] = arrays["running_var"].copy()
    if "eps_kw" in case:
        if rng is not None:
            arrays["eps"] = rng.standard_normal(case["inputs"][1][0]).astype(dtype)
        out[case["eps_kw"]] = arrays["eps"]
    return out


def call(F, Variable, case, ins, extra):
    """Run the case with module ``F``; returns (outputs tuple, float input Variables)."""
    fn = getattr(F, case["fn"])
    vars_ = []
    args = []
    for a in ins:
        if a.dtype.kind == "f":
            v = Variable(a)
            vars_.append(v)
            args.append(v)
        else:
            args.append(a)
    kw_names = case.get("kw_inputs", [])
    kw_in = dict(zip(kw_names, args[len(args) - len(kw_names) :])) if kw_names else {}
    if kw_names:
        args = args[: len(args) - len(kw_names)]
    n_more = len(case.get("more_inputs", []))
    first = args[: len(args) - n_more] if n_more else args
    more = args[len(args) - n_more :] if n_more else []
    pack = case.get("pack")
    if pack:
        first = [list(first[: pack[1]])] + first[pack[1] :]
    kwargs = dict(case.get("kwargs", {}))
    if "class_weight" in kwargs:
        kwargs["class_weight"] = np.asarray(kwargs["class_weight"], dtype=ins[0].dtype)
    kwargs.update(extra)
    kwargs.update(kw_in)
    out = fn(*case.get("first_args", []), *first, *case.get("args", []), *more, **kwargs)
    if not isinstance(out, (tuple, list)):
        out = (out,)
    return tuple(out), vars_


def pack_arrays(data):
    """{"case/key": array} → (one float64 vector per case, an index of keys, shapes and
    dtypes): a few large npz entries instead of many small ones keep the file small. Every
    value is exact in the vector's dtype (float64, or float32 for a case without float64)."""
    flat, index = {}, {}
    for full, a in data.items():
        case, key = full.split("/", 1)
        a = np.asarray(a)
        flat.setdefault(case, []).append(a.astype(np.float64).reshape(-1))
        index.setdefault(case, []).append([key, list(a.shape), a.dtype.str])
    packed = {}
    for c, v in flat.items():
        vec = np.concatenate(v)
        # a case without float64 data is exact in float32 (labels are small ints)
        if all(np.dtype(d) != np.float64 for _, _, d in index[c]):
            vec = vec.astype(np.float32)
        packed[c] = vec
    return packed, index


def unpack_arrays(npz, index, case):
    """The arrays of one case, as {key: array} with their original dtypes."""
    vec = npz[case]
    out, pos = {}, 0
    for key, shape, dtype in index[case]:
        n = int(np.prod(shape))
        out[key] = vec[pos : pos + n].astype(np.dtype(dtype)).reshape(shape)
        pos += n
    return out

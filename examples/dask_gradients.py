"""Generated gradients on a Dask cluster: a data-parallel gradient over shards of the data,
and a parameter sweep.

The loss is logistic regression's negative log-likelihood summed over the rows of ``X``, so
the gradient of the whole batch is the sum of the gradients of its shards: each worker
computes the gradient of the shards it holds, and the client adds them up. The sweep fits
the model once per L2 penalty ``lam``, each fit on a worker, by gradient descent with the
generated ``value_and_grad``.

The generated functions travel to the workers as any function does (docs/parallel.md):
by name when this file is imported as a module (each worker imports it and builds the
gradient once), by value when it runs as a script.

Run: python examples/dask_gradients.py   (needs Dask: pip install 's2s-ad[dask]')
"""

import contextlib

import numpy as np

from s2s_ad import grad, value_and_grad


def loss(w, X, y):
    """Logistic regression's negative log-likelihood of the labels ``y`` (0 or 1) of the
    rows of ``X``, summed: a sum over rows, so shards add up."""
    z = X @ w
    return np.sum(np.logaddexp(0.0, z) - y * z)


def penalized(w, X, y, lam):
    """The mean negative log-likelihood plus an L2 penalty ``lam * |w|^2``."""
    z = X @ w
    return np.mean(np.logaddexp(0.0, z) - y * z) + lam * np.sum(w * w)


def make_data(n=2000, d=5, seed=0):
    """Points ``X`` (n × d) and labels ``y`` from a noisy linear model."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    w_true = rng.normal(size=d)
    y = (X @ w_true + rng.normal(scale=0.5, size=n) > 0.0).astype(float)
    return X, y


def fit(value_and_gradient, lam, X, y, steps=200, rate=0.5):
    """Gradient descent on ``penalized`` from zero, with its generated ``value_and_grad``
    (an argument: it is pickled to the worker that runs this); the last value and ``w``."""
    w = np.zeros(X.shape[1])
    for _ in range(steps):
        value, dw = value_and_gradient(w, X, y, lam)
        w -= rate * dw
    return value, w


@contextlib.contextmanager
def local_client(n_workers=2):
    """A Dask client of a cluster of ``n_workers`` processes on this machine, closed on
    exit."""
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        yield client


def sharded_gradient(client, w, X, y, shards=4):
    """The gradient of ``loss`` at ``w`` over all of ``X``, ``y``: one task per shard of
    rows, on the workers; their sum."""
    dloss = grad(loss)
    X_parts = client.scatter(np.array_split(X, shards))
    y_parts = client.scatter(np.array_split(y, shards))
    parts = client.map(dloss, [w] * shards, X_parts, y_parts)
    return sum(client.gather(parts))


def sweep(client, X, y, lams, held_out=0.25):
    """Fit on the first rows of ``X`` for each penalty in ``lams`` (one task each), and
    score each fit by the mean loss on the last ``held_out`` of the rows."""
    n = int(len(y) * (1.0 - held_out))
    X_fit, y_fit = client.scatter([X[:n], y[:n]], broadcast=True)
    fits = client.gather(client.map(fit, [value_and_grad(penalized)] * len(lams), lams,
                                    [X_fit] * len(lams), [y_fit] * len(lams)))
    return [(lam, value, loss(w, X[n:], y[n:]) / (len(y) - n), w)
            for lam, (value, w) in zip(lams, fits)]


def main():
    X, y = make_data()
    w = np.full(X.shape[1], 0.1)
    print("the gradient each worker runs, specialized to a shard's shapes:")
    print(grad(loss).specialize(w, X[:len(y) // 4], y[:len(y) // 4]).source)
    with local_client() as client:
        shards = sharded_gradient(client, w, X, y)
        full = grad(loss)(w, X, y)
        print("gradient of the full batch:", full)
        print("sum over 4 shards:         ", shards)
        print(f"largest difference: {np.max(np.abs(shards - full)):.1e}")
        print("\n    lam   training objective   held-out loss   |w|")
        for lam, value, held, w_lam in sweep(client, X, y, [0.0, 0.001, 0.01, 0.1, 1.0]):
            print(f"{lam:7.3f}   {value:18.6f}   {held:13.6f}   {np.linalg.norm(w_lam):.3f}")


if __name__ == "__main__":
    main()

"""examples/dask_gradients.py on a Dask ``LocalCluster`` of two worker processes (skipped
without Dask: pip install 's2s-ad[dask]')."""

import os

import numpy as np
import pytest
from support import EXAMPLES

import s2s_ad

pytest.importorskip("dask.distributed")
pytestmark = pytest.mark.slow  # a cluster of worker processes: seconds to start


@pytest.fixture
def example(monkeypatch):
    """The example imported by its name, as a user's module is; the workers import it too
    (examples/ on their path), to rebuild the gradients they are sent."""
    monkeypatch.syspath_prepend(str(EXAMPLES))
    path = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", str(EXAMPLES) + (os.pathsep + path if path else ""))
    import dask_gradients

    return dask_gradients


def test_shard_gradients_add_up_to_the_full_batch_and_the_sweep_fits_on_workers(example):
    X, y = example.make_data(n=400, d=4, seed=1)
    w = np.linspace(-0.5, 0.5, 4)
    lams = [0.0, 0.1]
    with example.local_client(n_workers=2) as client:
        shards = example.sharded_gradient(client, w, X, y, shards=4)
        sweep = example.sweep(client, X, y, lams)
    assert client.status == "closed"
    np.testing.assert_allclose(shards, s2s_ad.grad(example.loss)(w, X, y), rtol=1e-12,
                               atol=1e-12)
    n = 300  # the rows the sweep fits (the last quarter is held out)
    for (lam, value, held_out, w_lam), expected in zip(sweep, lams):
        assert lam == expected
        here = example.fit(s2s_ad.value_and_grad(example.penalized), lam, X[:n], y[:n])
        np.testing.assert_allclose((value, *w_lam), (here[0], *here[1]), rtol=1e-12)
        assert held_out == pytest.approx(example.loss(w_lam, X[n:], y[n:]) / 100)

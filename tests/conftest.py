"""Hypothesis profiles: ``ci`` (bounded and repeatable, used when CI is set), ``dev`` (the
default) and ``long``.

Tests that take seconds are marked ``slow``: the property tests over the tables, the fuzz
run and the checks of its oracle, the examples run as scripts, a 2000-line program, a Dask
cluster. ``python -m pytest -m "not slow"`` is the quick loop (under a minute on 2 cores);
plain ``python -m pytest`` (README, CI) runs everything.

Every test checks the IR that each stage builds (``s2s_ad.ir.verify``: after lowering,
reverse and forward mode, every optimizer pass, and before codegen); ``S2S_AD_VERIFY=0``
turns that off (to time the suite without it). Every generated source is also printed by
astor, which must give the same text (``S2S_AD_CHECK_PRINTER=0`` turns that off)."""

import os

from hypothesis import HealthCheck, settings

from s2s_ad.codegen import emit
from s2s_ad.ir import verify

verify.ENABLED = os.environ.get("S2S_AD_VERIFY", "1") != "0"
# every generated source is printed by astor too, and must read the same (codegen/printer.py)
emit.CHECK = os.environ.get("S2S_AD_CHECK_PRINTER", "1") != "0"

# ci draws the same examples on every run (derandomize): a run on main passes or fails for
# the code, not for the draw; dev and long draw fresh ones, and bench/fuzz.py explores.
settings.register_profile("ci", max_examples=30, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile("long", max_examples=2000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

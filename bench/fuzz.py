"""A long differential-fuzzing campaign of the whole pipeline (issues 9, 15), outside pytest.

    python bench/fuzz.py --n 10000 [--seed S] [--families F[,F...]] [--jobs J] [--known-bugs]
                         [--compositions C[,C...]] [--reports R]

Program ``i`` of the campaign is ``generate(seed_i, family_i)`` from ``tests/fuzz_programs.py``
(the generator the test suite's hypothesis strategy wraps): a random module of one or two
helpers and an entry function in the supported subset -- ``math`` expression trees with
guarded arguments, re-assignments, helper calls with keyword arguments, ``if``/``elif``,
``for``/``while`` loops with data-dependent trip counts, ``break``/``continue``, ``return``
inside loops, ``for ... else:``, starred names, tuples, lists and dicts -- with a point
away from kinks where the Richardson oracle is well conditioned (or, for some, on a tie:
integer-valued floats, repeated entries); the
``array`` family writes NumPy programs over small arrays (broadcasting, ``@``, reductions,
indexing, slices from both ends and with negative steps, joins, arrays built from lists
appended in loops, list arguments where arrays go, loops carrying arrays, orderings and
rearrangements: ``np.sort``, an entry at ``np.argmax``, ``np.roll``, ``np.tile``,
``np.repeat``, ``np.diagonal``, ``np.linalg.slogdet``...). ``seed_i``
comes from ``random.Random(S)``; the families take turns unless ``--families`` (alias
``--family``) names some. Each program is checked by ``examine``: reverse mode (optimized
and not) against Richardson-extrapolated central differences (at a tie: between the
one-sided differences), ``jacobian(mode="fwd")`` and ``jvp`` against reverse,
``value_and_grad``'s and ``jvp``'s values against ``f(*args)`` bitwise, every generated
``.source`` compiled, the arguments unmodified; then every composition of
``fuzz_programs.COMPOSITIONS`` (or those ``--compositions`` names): ``grad(grad)``,
``jacobian(grad)``, ``vjp(grad)``, ``jvp(grad)``, ``hessian``, ``hvp``, ``jacobian(fwd)``,
``jacobian(rev)``, each against Richardson differences of its inner result; and, asked
for by name, ``grad(numba)`` (``fuzz_programs.OPTIONAL_COMPOSITIONS``): ``grad(f,
backend="numba")`` against ``grad(f)``, a Numba compile per program.

Printed: programs tried (per family, and how many contain each construct), failures by
kind -- mismatches (a wrong number or structure), crashes (an exception that is not a
``DifferentiationError``) and unsupported (a ``DifferentiationError``: the generator only
writes supported constructs, so each one is a finding too; refusals the README documents
are counted apart, and are no failure) -- then, per composition, how many programs
exercised it (it applied: not at a tie for second order, not without a number for
``grad(grad)``) and its passes, mismatches, crashes and unsupported, then every refusal
by composition and message, and the time spent. For the first ``--reports`` failures of
each kind, the program is minimized greedily (statements deleted, blocks inlined,
expressions replaced by an operand or ``1.0``, integer arguments lowered, while the same
kind of failure persists; a composition's failure with that composition alone) and
printed with its point and the disagreeing numbers.

By default the generator avoids the patterns of the known bugs listed in
``fuzz_programs.KNOWN_BUGS`` (each pinned by a strict-xfail regression test), so a
campaign looks for new ones; ``--known-bugs`` writes those patterns too. Exit status 1
when anything failed.
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing
import random
import re
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import fuzz_programs as fp  # noqa: E402 -- the generator lives next to the tests

MEMORY = 4 << 30  # bytes of address space per process

CONSTRUCTS = {  # what the entry functions contain, counted in their source
    "if": r"^\s+if ", "elif/else": r"^\s+(elif .*|else):$", "ternary": r" if .* else ",
    "early return": r"^\s+if .*:\n\s+return ", "for range": r"for \w+ in range\(",
    "for container": r"for .* in (?!range\(|reversed\(range\()", "while": r"^\s+while ",
    "reversed(...)": r"for .* in (enumerate\()?reversed\(",
    "break/continue": r"^\s+(break|continue)$", "nested loop": r"^\s{8,}(for|while) ",
    "helper call": r"h\d\(", "keyword argument": r"h\d\(.*\bb=", "tuple assignment":
    r"^\s+\w+, \w+.* = ", "tuple built": r"= \(.*,.*\)$", "list built": r"\.append\(",
    "list/tuple argument": r"\b(xs|t|ps)\[", "dict argument": r"\bd\[|\bd\.",
    "min/max/abs": r"\b(min|max|abs|fabs)\(", "grad of a helper": r"s2s_ad\.grad\(",
    "argument unpacked": r"^\s+\w+(, \w+)+ = (xs|t)$", "for over pairs": r"for \w+, \w+ in ps:",
    "comprehension": r"\bfor c\d+ in ", "dict comprehension": r"\{i\d+ % \d: ",
    "max/min of a sequence": r"\b(max|min)\(\[?[^,]* for c\d+ in ",
    "break in a loop over a tuple":
        r"^( +)for \w+ in \(.*\):\n(?:\1 .*\n)*?\1    if .*:\n\1        break$",
    "nested *rest": r"def fn\d+\(\*|lambda \*q", "record built here": r"_rec = (Box|Pair)\(",
    "record returned by a helper": r"_rec = (s2s_ad\.jvp\()?make_(box|pair)\b",
    "list(xs)/tuple(xs) copy": r"^\s+c\w+ = (list|tuple)\(",
    "break in reversed(range)": r"^( +)for \w+ in reversed\(range\(.*\n(?:\1 .*\n)*?\1 +break$",
    "nested def/lambda": r"^\s+def fn\d+\(|\bfn\d+ = lambda ",
    "record field read": r"\bp\.[abc]\b",  # a dataclass's or a named tuple's field
    "named tuple as a tuple": r"\bp\[|in (enumerate\(|reversed\(|zip\()?p\b|= p$",
    # issue 18: a return under a loop header (deeper, no line back at its indentation between)
    "return in a loop": r"^( +)(?:for|while) .*:\n(?:\1 .*\n)*?\1 +return ",
    "loop else": r"^( +)for .*:\n(?:\1 .*\n)*\1else:$", "starred name": r"\*\w+ = |, \*\w+ in ",
    "h(*(a, b))": r"h\d\(\*\(",
}
ARRAY_CONSTRUCTS = {  # the same, for the array family
    "@": r" @ |np\.dot\(", "reduction with axis": r"axis=", "keepdims": r"keepdims=True",
    "np.max/min": r"np\.(max|min)\(", "np.maximum/minimum": r"np\.(maximum|minimum)\(",
    "np.where": r"np\.where\(", "transpose": r"\.T\b|np\.transpose\(",
    "reshape": r"reshape\(|ravel\(", "index": r"\w\[-?\w+( % \d)?\]", "slice": r"\[[^]]*:",
    "concatenate": r"np\.(concatenate|hstack|vstack)\(", "stack": r"np\.(stack|array)\(",
    "slice with both ends": r"\w\[-?\d+:-?\d+", "negative step": r":-\d\]",
    "list appended in a loop": r"\.append\(", "list argument": r"\bL\b",
    "abs/clip": r"\babs\(|np\.clip\(",
    "ordering": r"np\.(sort|argsort|argmax|argmin)\(",
    "rearrangement": r"np\.(flip|roll|tile|repeat|diagonal|atleast_\dd|take_along_axis)\(",
    "axes moved or added": r"np\.(moveaxis|swapaxes|expand_dims|squeeze)\(",
    "piece of np.split": r"np\.split\(",
    "slogdet": r"np\.linalg\.slogdet\(",
    "math of a number": r"math\.", "if": r"^\s+if ", "for range": r"for \w+ in range\(",
    "for over an array": r"for \w+ in (?!range\(|reversed\(range\()",
    "+= on an array or number": r"\w [-+*]= ", "reversed(range(...))": r"in reversed\(range\(",
    "helper call": r"h\d\(",
    "shape unpacked": r"^\s+\w+(, \w+)*,? = \w+\.shape$",
    "rows unpacked": r"^\s+\w+(, \w+)+ = \w+$",
    "item assignment": r"^\s+\w+\[[^]]+\] [-+*]?= ", "fill loop": r"\w+\[t\d+ \+ 1\] = ",
}


def _limit_memory() -> None:
    """A generated loop that never ends fills its tape: stop it at 4 GB (MemoryError)."""
    try:
        import resource
    except ImportError:  # not POSIX
        return
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def _task(job: tuple[int, int, str, bool, tuple[str, ...]]) -> tuple:
    index, seed, family, known, compositions = job
    avoid = frozenset() if known else fp.KNOWN_BUGS
    start = time.perf_counter()
    try:
        program = fp.generate(seed, family, avoid)
    except Exception as err:  # noqa: BLE001 -- the grammar wrote a program it cannot run:
        # a failure of the fuzzer itself, reported with its seed; the campaign goes on
        return index, None, f"generate({seed}, {family!r}): {type(err).__name__}: {err}", (
            time.perf_counter() - start), 0.0
    generated = time.perf_counter()
    try:
        found = fp.examine(program, compositions=compositions)
    except Exception as err:  # noqa: BLE001 -- the harness itself: report, keep going
        failure = fp.Failure(f"harness error: {type(err).__name__}", repr(err), program)
        found = fp.Examination(program, failure, {})
    checked = time.perf_counter()
    return index, program, found, generated - start, checked - generated


def _case(failure: fp.Failure) -> str:
    """A refusal's message, without its location and names (one line per case)."""
    text = failure.detail.strip().splitlines()
    line = next((t for t in reversed(text) if "Error: " in t), text[-1] if text else "")
    line = line.split("Error: ", 1)[-1]
    line = re.sub(r"^<[^>]*>\.py:\d+:\d+: ", "", line)
    return re.sub(r"'[^']*'", "'…'", line)[:150]


def _contains(source: str, pattern: str) -> bool:
    return re.search(pattern, source.split("def f(", 1)[-1], re.MULTILINE) is not None


def _families(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in fp.FAMILIES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown family {', '.join(unknown) or text!r} (choose from {', '.join(fp.FAMILIES)})")
    return names


def _reason(outcome: str) -> str:
    """An n/a outcome's reason, its location and names left out (one line per kind)."""
    reason = re.sub(r"^n/a: |\S*:\d+:\d+: ", "", outcome)
    return re.sub(r"'[\w.]+'", "…", reason)[:110]


def _compositions(text: str) -> tuple[str, ...]:
    names = [name.strip() for name in text.split(",") if name.strip() and name != "none"]
    known = fp.COMPOSITIONS + fp.OPTIONAL_COMPOSITIONS
    unknown = [name for name in names if name not in known]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown composition {', '.join(unknown)} (choose from {', '.join(known)})")
    return tuple(names)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10000, help="programs to try")
    parser.add_argument("--seed", type=int, default=0, help="campaign seed")
    parser.add_argument("--families", "--family", type=_families, default=list(fp.FAMILIES),
                        help=f"comma-separated families to take turns (default: all of "
                             f"{','.join(fp.FAMILIES)})")
    parser.add_argument("--jobs", type=int, default=multiprocessing.cpu_count(),
                        help="worker processes (default: one per CPU)")
    parser.add_argument("--known-bugs", action="store_true",
                        help="also write the patterns of the known bugs (KNOWN_BUGS)")
    parser.add_argument("--reports", type=int, default=3,
                        help="failures of each kind to minimize and print")
    parser.add_argument("--budget", type=int, default=400,
                        help="candidate programs the minimizer may check per failure")
    parser.add_argument("--compositions", type=_compositions, default=fp.COMPOSITIONS,
                        help=f"comma-separated compositions to check (default: all of "
                             f"{','.join(fp.COMPOSITIONS)}; 'none' for first order only; "
                             f"also {','.join(fp.OPTIONAL_COMPOSITIONS)}, a Numba compile "
                             "per program)")
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    jobs = [(i, rng.getrandbits(32), args.families[i % len(args.families)], args.known_bugs,
             args.compositions) for i in range(args.n)]
    avoided = ", ".join(sorted(fp.KNOWN_BUGS)) or "none"
    print(f"s2s_ad differential fuzzing: {args.n} programs, seed {args.seed}, "
          f"{args.jobs} worker(s), known-bug patterns "
          f"{'written' if args.known_bugs else 'avoided: ' + avoided}",
          flush=True)
    start = time.perf_counter()
    families: collections.Counter[str] = collections.Counter()
    constructs: collections.Counter[str] = collections.Counter()
    array_constructs: collections.Counter[str] = collections.Counter()
    failures: dict[str, list[fp.Failure]] = collections.defaultdict(list)
    documented: dict[str, list[fp.Failure]] = collections.defaultdict(list)
    statuses: dict[str, collections.Counter[str]] = {
        name: collections.Counter() for name in ("first order", *args.compositions)}
    kinks = 0
    # why the compositions asked for by name did not apply (grad(numba): what Numba refuses)
    reasons: collections.Counter[tuple[str, str]] = collections.Counter()
    unwritten: list[str] = []  # programs the grammar could not write (its own errors)
    gen_time = check_time = 0.0
    done = 0
    warnings.simplefilter("ignore", SyntaxWarning)
    _limit_memory()
    with multiprocessing.Pool(args.jobs, initializer=_limit_memory) as pool:
        for _, program, found, t_gen, t_check in pool.imap_unordered(_task, jobs, 8):
            done += 1
            gen_time += t_gen
            check_time += t_check
            if program is None:  # (found: what generate raised)
                unwritten.append(found)
                print(f"  [{done}] grammar error: {found}", flush=True)
                continue
            families[program.family] += 1
            kinks += program.kink
            statuses["first order"][found.first_order.status if found.first_order else "pass"] += 1
            for name in args.compositions:
                statuses[name][found.status(name)] += 1
                outcome = found.outcomes[name]
                if name in fp.OPTIONAL_COMPOSITIONS and isinstance(outcome, str) and (
                        outcome.startswith("n/a")):
                    reasons[name, _reason(outcome)] += 1
            arrays = program.family == "array"
            for name, pattern in (ARRAY_CONSTRUCTS if arrays else CONSTRUCTS).items():
                (array_constructs if arrays else constructs)[name] += _contains(program.source,
                                                                               pattern)
            if arrays:  # u op= v while a view or another name reads u (written on purpose)
                array_constructs["aliasing update"] += bool(program.shared_updates)
            kinds = []
            for failure in found.failures:
                (documented if failure.documented else failures)[failure.kind].append(failure)
                if not failure.documented:
                    kinds.append(failure.kind)
            if kinds:
                print(f"  [{done}] {program!r}{' (tie)' if program.kink else ''}: "
                      + "; ".join(kinds), flush=True)
            if done % 500 == 0 or done == args.n:
                elapsed = time.perf_counter() - start
                print(f"  {done}/{args.n} programs, {sum(map(len, failures.values()))} "
                      f"failures, {elapsed:.0f} s", flush=True)
    elapsed = time.perf_counter() - start

    groups = {"mismatches": ("mismatch", "value", "structure", "mutation"),
              "crashes": ("crash", "harness"), "unsupported": ("unsupported",)}
    print("\n=== summary ===")
    print(f"programs tried: {done} ("
          + ", ".join(f"{fam} {families[fam]}" for fam in fp.FAMILIES if families[fam])
          + f"); {kinks} at a point on a tie")
    if done > families["array"]:
        print("programs containing: "
              + ", ".join(f"{name} {constructs[name]}" for name in CONSTRUCTS))
    if families["array"]:
        print("array programs containing: "
              + ", ".join(f"{name} {array_constructs[name]}"
                          for name in (*ARRAY_CONSTRUCTS, "aliasing update")))
    for group, prefixes in groups.items():
        count = sum(len(v) for k, v in failures.items() if k.startswith(prefixes))
        print(f"{group}: {count}" + (f" (and {sum(map(len, documented.values()))} documented "
                                     "refusals, no failure)" if group == "unsupported" else ""))
    for kind, found in sorted(failures.items()):
        print(f"  {len(found):5d}  {kind}")
    if unwritten:
        print(f"grammar errors (programs generate() could not write): {len(unwritten)}")
        for line in unwritten[:args.reports]:
            print(f"  {line}")
    print("per composition (programs that exercised it: pass, mismatch, crash, unsupported; "
          "n/a where it does not apply):")
    for name, counts in statuses.items():
        exercised = sum(v for k, v in counts.items() if k != "n/a")
        refused = counts["unsupported"] + counts["documented"]
        known = f" ({counts['documented']} documented)" if counts["documented"] else ""
        print(f"  {name:<15} {exercised:5d} exercised: {counts['pass']} pass, "
              f"{counts['mismatch']} mismatches, {counts['crash']} crashes, "
              f"{refused} unsupported{known}; n/a {counts['n/a']}")
    if reasons:
        print("not applicable, by composition and reason:")
        for (name, reason), count in reasons.most_common():
            print(f"  {count:5d}  {name}: {reason}")
    cases: collections.Counter[tuple[str, str, bool]] = collections.Counter()
    example: dict[tuple[str, str, bool], fp.Failure] = {}
    for found in [*failures.values(), *documented.values()]:
        for failure in found:
            if failure.status == "unsupported":
                key = (failure.composition or "first order", _case(failure), failure.documented)
                cases[key] += 1
                example.setdefault(key, failure)
    if cases:
        print("unsupported, by composition and case:")
        for (name, case, known), count in sorted(cases.items()):
            print(f"  {count:5d}  {name}: {case}{' (documented)' if known else ''}; e.g. "
                  f"{example[name, case, known].program!r}")
    print(f"time: {elapsed:.1f} s wall ({done / elapsed:.1f} programs/s); per program "
          f"{1e3 * gen_time / done:.1f} ms generating, {1e3 * check_time / done:.1f} ms "
          f"checking (CPU summed over workers)")

    for kind, found in sorted(failures.items()):
        for failure in found[:args.reports]:
            print(f"\n=== {kind}: {failure.program!r} ===")
            t0 = time.perf_counter()
            small = fp.minimize(failure, budget=args.budget)
            alone = (failure.composition,) if failure.composition else ()
            again = next((f for f in fp.examine(small, compositions=alone,
                                                first_order=not alone).failures
                          if f.kind == kind), failure)
            print(f"minimized in {time.perf_counter() - t0:.1f} s "
                  f"({len(failure.program.source)} -> {len(small.source)} characters)")
            print(again.report())
    return 1 if failures or unwritten else 0


if __name__ == "__main__":
    sys.exit(main())

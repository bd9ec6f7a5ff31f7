#!/usr/bin/env python3
"""synscope's mutation check (make mutate; docs/testing.md).

Reads tests/mutation/mutations.txt, a list of small textual mutations of
userspace/ (each an exact snippet that must occur exactly once in its file,
and its replacement), and for each one, in a scratch copy of the tree:
applies it, builds the unit tests that cover it, runs them (then the
integration scripts it names, as root), and says

    killed        a covering test failed (or crashed, or hung)
    survived      every covering test passed: a test is missing
    equivalent    survived, and the list says why no test can tell
    build-failed  the mutant did not compile (the rule needs fixing)
    stale         the snippet no longer occurs exactly once (the code moved
                  on: rewrite the rule), or a file or test it names is gone

The checkout it runs from is never written to: every build happens in
copies under a temporary directory (removed at the end; KEEP=1 keeps it).

Exit status 0 when every mutant is killed or equivalent, 1 otherwise, 2 on
a usage error or when the unmutated tree fails its own tests.

  tests/mutation/run.sh [-j N] [--only REGEX] [--check] [--unit-only] [-v] [--list FILE]
"""
import argparse
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.realpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
LIST = os.path.join(ROOT, "tests", "mutation", "mutations.txt")
UNIT_TIMEOUT = int(os.environ.get("MUTATE_TIMEOUT", "60"))
# Integration scripts share network namespace names and ports with every other
# run of them on this host: each takes this lock (flock), as other runs do.
INTEGRATION_LOCK = os.environ.get("MUTATE_INTEGRATION_LOCK", "/tmp/synscope-integration.lock")
INTEGRATION_TIMEOUT = int(os.environ.get("MUTATE_INTEGRATION_TIMEOUT", "300"))
KEYS = ("file", "why", "find", "replace", "tests", "integration", "equivalent")


class Rule:
    def __init__(self, ident, lineno):
        self.id = ident
        self.lineno = lineno
        self.file = None
        self.why = ""
        self.find = []
        self.replace = []
        self.tests = []
        self.integration = []
        self.equivalent = None
        self.problem = None  # why it is stale, when it is
        self.given = set()   # find and replace were written

    @property
    def find_text(self):
        return "\n".join(self.find)

    @property
    def replace_text(self):
        return "\n".join(self.replace)


def parse_list(path):
    """The rules, in order (the format is in mutations.txt's header). A line
    after find: or replace: that is not blank and names no key continues
    that snippet: C code as it stands, tabs and all."""
    rules, cur, errors, last = [], None, [], None
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip():
                last = None
                continue
            m = re.match(r"^\[([A-Za-z0-9_.-]+)\]\s*$", line)
            if m:
                cur, last = Rule(m.group(1), n), None
                rules.append(cur)
                continue
            m = re.match(r"^(" + "|".join(KEYS) + r"):( ?)(.*)$", line)
            if m and cur is not None:
                key, value = m.group(1), m.group(3)
                last = key
                if key in ("find", "replace"):
                    if getattr(cur, key):
                        errors.append(f"{path}:{n}: [{cur.id}] {key}: given twice")
                    getattr(cur, key).append(value)
                    cur.given.add(key)
                elif key in ("tests", "integration"):
                    getattr(cur, key).extend(value.split())
                else:
                    setattr(cur, key, value.strip())
                continue
            if last in ("find", "replace"):
                getattr(cur, last).append(line)  # the snippet's next line, as written
                continue
            if line.startswith("#"):
                continue
            errors.append(f"{path}:{n}: not a rule line: {line!r}")
    seen = set()
    for r in rules:
        if r.id in seen:
            errors.append(f"{path}:{r.lineno}: [{r.id}] given twice")
        seen.add(r.id)
        if not r.file or "find" not in r.given or "replace" not in r.given or not r.tests:
            errors.append(f"{path}:{r.lineno}: [{r.id}] needs file, find, replace and tests")
        elif r.find_text == r.replace_text:
            errors.append(f"{path}:{r.lineno}: [{r.id}] replaces its snippet with itself")
    return rules, errors


def unit_sources():
    """test_NAME -> tests/unit/STAGE/test_NAME.c"""
    out = {}
    base = os.path.join(ROOT, "tests", "unit")
    for stage, _, files in os.walk(base):
        for f in files:
            if f.startswith("test_") and f.endswith(".c"):
                out[f[:-2]] = os.path.relpath(os.path.join(stage, f), ROOT)
    return out


def check_rule(r, units):
    """Sets r.problem when the rule cannot be applied as written."""
    path = os.path.join(ROOT, r.file)
    if not os.path.isfile(path):
        r.problem = f"{r.file}: no such file"
        return
    for t in r.tests:
        if t not in units:
            r.problem = f"unit test {t}: no tests/unit/*/{t}.c"
            return
    for s in r.integration:
        if not os.path.isfile(os.path.join(ROOT, "tests", "integration", s + ".sh")):
            r.problem = f"integration test {s}: no tests/integration/{s}.sh"
            return
    with open(path, encoding="utf-8") as f:
        text = f.read()
    count = text.count(r.find_text)
    if count != 1:
        r.problem = (f"the snippet occurs {count} times in {r.file} (it must occur exactly "
                     f"once): {r.find_text!r}")


def tree_files():
    """The checkout's files as they are now (tracked and new, not ignored)."""
    try:
        out = subprocess.run(["git", "-C", ROOT, "ls-files", "-z", "--cached", "--others",
                              "--exclude-standard"], check=True, capture_output=True).stdout
        files = [f for f in out.decode().split("\0") if f]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for d, dirs, names in os.walk(ROOT):
            dirs[:] = [x for x in dirs if not x.startswith((".", "build"))
                       and x != "node_modules"]
            files += [os.path.relpath(os.path.join(d, n), ROOT) for n in names]
    return [f for f in files if os.path.isfile(os.path.join(ROOT, f))]


def copy_tree(dst):
    for f in tree_files():
        os.makedirs(os.path.dirname(os.path.join(dst, f)) or dst, exist_ok=True)
        shutil.copy2(os.path.join(ROOT, f), os.path.join(dst, f))


def run(cmd, cwd, timeout, env=None):
    """(status, output); status is None on a timeout."""
    try:
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, timeout=timeout, env=env)
        return p.returncode, (p.stdout + p.stderr).decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        out = ((e.stdout or b"") + (e.stderr or b"")).decode("utf-8", "replace")
        return None, out


def make(work, targets):
    # -Wno-error: a mutant that leaves a variable unused still builds
    return run(["make", "-s", "OUT=build", "EXTRA_CFLAGS=-Wno-error"] + targets, work, 600)


def test_failed(work, name, integration):
    """None when the test passed, else a short reason."""
    if integration:
        cmd = ["bash", os.path.join("tests", "integration", name + ".sh")]
        if INTEGRATION_LOCK and shutil.which("flock"):
            cmd = ["flock", INTEGRATION_LOCK] + cmd
        status, out = run(cmd, work, INTEGRATION_TIMEOUT)
    else:
        status, out = run([os.path.join(work, "build", "tests", name)], work, UNIT_TIMEOUT)
    if status is None:
        return f"{name} (timed out)"
    summary = re.findall(r"^(\d+) passed, (\d+) failed", out, re.M)
    if status != 0 or not summary or summary[-1][1] != "0":
        # the test functions that failed (a unit binary's "FAIL test_x" lines),
        # else a script's first FAIL line, else how it ended
        funcs = re.findall(r"^FAIL (test_\w+)$", out, re.M)
        fails = [l.strip() for l in out.splitlines() if l.lstrip().startswith("FAIL")]
        if funcs:
            why = "FAIL " + " ".join(funcs)
        elif fails:
            why = fails[0]
        else:
            why = f"exit status {status}" if status >= 0 else f"signal {-status}"
        return f"{name}: {why}"
    return None


class Runner:
    def __init__(self, rules, jobs, unit_only, verbose):
        self.rules = rules
        self.jobs = jobs
        self.verbose = verbose
        self.root_user = os.geteuid() == 0
        self.integration = not unit_only and self.root_user
        self.lock = threading.Lock()       # the output, the results
        self.int_lock = threading.Lock()   # one integration script at a time
        self.results = {}

    def targets(self, rules):
        t = sorted({f"build/tests/{n}" for r in rules for n in r.tests})
        if self.integration and any(r.integration for r in rules):
            t = ["all"] + t
        return t

    def say(self, status, r, detail=""):
        with self.lock:
            self.results[r.id] = status
            where = f"{r.file}" + (f": {r.why}" if r.why else "")
            print(f"{status:<12} {r.id:<34} {where}", flush=True)
            if detail and (self.verbose or status not in ("killed",)):
                print(f"{'':<12} {detail}", flush=True)

    def mutant(self, work, r):
        path = os.path.join(work, r.file)
        with open(os.path.join(ROOT, r.file), encoding="utf-8") as f:
            original = f.read()
        try:
            with open(path, "w", encoding="utf-8") as f:
                f.write(original.replace(r.find_text, r.replace_text, 1))
            status, out = make(work, self.targets([r]))
            if status != 0:
                last = [l for l in out.splitlines() if "error" in l][:1]
                return "build-failed", (last[0] if last else out.strip()[-300:])
            for t in r.tests:
                why = test_failed(work, t, False)
                if why:
                    return "killed", why
            if r.integration and self.integration:
                for s in r.integration:
                    with self.int_lock:
                        why = test_failed(work, s, True)
                    if why:
                        return "killed", why
            note = ("" if not r.integration or self.integration
                    else "(its integration scripts not run: " +
                    ("--unit-only)" if self.root_user else "not root)"))
            return "survived", note
        finally:
            with open(path, "w", encoding="utf-8") as f:
                f.write(original)

    def worker(self, work, q):
        while True:
            try:
                r = q.get_nowait()
            except queue.Empty:
                return
            status, detail = self.mutant(work, r)
            if status == "survived" and r.equivalent:
                status, detail = "equivalent", r.equivalent
            elif status == "killed" and r.equivalent:
                detail = ("marked equivalent, but a test tells it apart: drop the mark ("
                          + detail + ")")
            self.say(status, r, detail)

    def baseline(self, work):
        """The unmutated copy builds and passes every covering test."""
        status, out = make(work, self.targets(self.rules))
        if status != 0:
            return "the unmutated tree does not build:\n" + out[-2000:]
        for t in sorted({t for r in self.rules for t in r.tests}):
            why = test_failed(work, t, False)
            if why:
                return "the unmutated tree fails its own test: " + why
        if self.integration:
            for s in sorted({s for r in self.rules for s in r.integration}):
                why = test_failed(work, s, True)
                if why:
                    return "the unmutated tree fails its own test: " + why
        return None

    def go(self, scratch):
        works = [os.path.join(scratch, f"w{i}") for i in range(self.jobs)]
        copy_tree(works[0])
        problem = self.baseline(works[0])
        if problem:
            print("mutate: " + problem, file=sys.stderr)
            return False
        for w in works[1:]:
            shutil.copytree(works[0], w, symlinks=True)  # built: mtimes kept
        q = queue.Queue()
        for r in self.rules:
            q.put(r)
        threads = [threading.Thread(target=self.worker, args=(w, q)) for w in works]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return True


def main():
    ap = argparse.ArgumentParser(description="synscope's mutation check (docs/testing.md)")
    ap.add_argument("-j", "--jobs", type=int, default=min(2, os.cpu_count() or 1),
                    help="mutants built and tested at once (default: 2, or 1 on one CPU)")
    ap.add_argument("--only", metavar="REGEX", help="only the rules whose id matches")
    ap.add_argument("--check", action="store_true",
                    help="only check that every rule still applies (no build)")
    ap.add_argument("--unit-only", action="store_true", help="no integration script")
    ap.add_argument("-v", "--verbose", action="store_true", help="say which test killed each")
    ap.add_argument("--list", metavar="FILE", default=LIST,
                    help="another list of rules (default: tests/mutation/mutations.txt)")
    a = ap.parse_args()

    rules, errors = parse_list(a.list)
    for e in errors:
        print("mutate: " + e, file=sys.stderr)
    if errors:
        return 2
    if a.only:
        rules = [r for r in rules if re.search(a.only, r.id)]
    units = unit_sources()
    for r in rules:
        check_rule(r, units)
    stale = [r for r in rules if r.problem]
    for r in stale:
        print(f"{'stale':<12} {r.id:<34} {r.file}\n{'':<12} {r.problem}", flush=True)
    live = [r for r in rules if not r.problem]
    start = time.monotonic()
    runner = Runner(live, max(1, a.jobs), a.unit_only, a.verbose)
    if not a.check and live:
        scratch = tempfile.mkdtemp(prefix="synscope-mutate.")
        try:
            if not runner.go(scratch):
                return 2
        finally:
            if os.environ.get("KEEP") == "1":
                print(f"mutate: scratch copies kept in {scratch}", file=sys.stderr)
            else:
                shutil.rmtree(scratch, ignore_errors=True)
    elapsed = time.monotonic() - start
    counts = {k: 0 for k in ("killed", "equivalent", "survived", "build-failed")}
    for s in runner.results.values():
        counts[s] += 1
    if a.check:
        print(f"{len(rules)} mutations, {len(stale)} stale")
        return 1 if stale else 0
    print(f"{len(rules)} mutants: {counts['killed']} killed, {counts['equivalent']} equivalent, "
          f"{counts['survived']} survived, {counts['build-failed']} build-failed, "
          f"{len(stale)} stale ({elapsed:.0f} s, {runner.jobs} at a time"
          f"{'' if runner.integration else ', unit tests only'})")
    bad = counts["survived"] + counts["build-failed"] + len(stale)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

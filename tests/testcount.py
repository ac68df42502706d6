#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""The closing count of ./run test, from meson's test logs.

    testcount.py [--claims SECURITY.md] [--extra NAME:RESULT ...] PHASE=LOG ...

Counts test cases, not programs: a cmocka program counts each of its cases
(OK, FAILED, SKIPPED, or a case that started and never ended, which is a
failure); a program with no cmocka output counts once, by meson's result.
A program meson failed although every case passed (a leak found at exit, a
crash after the last case) counts one failure more.  A phase whose log is
missing counts one failure.  Every skipped case is named.

With --claims, every test that SECURITY.md names for a guarantee (the
"test" column of its "| guarantee | test |" tables, as
tests/security-claims.sh reads them) must have run and passed in the
first phase (a row of a table-driven case counts when its program printed
the row's name first on a line and passed); one that only skipped is
listed as "not checked in this run", one that did not run at all is a
failure.

Prints one line per phase, then "tests: N passed, N failed, N skipped";
exits 1 if anything failed.
"""
import json
import re
import sys

CASE = re.compile(r"^\[ *(RUN|OK|FAILED|SKIPPED|ERROR) *\] (\S+)\s*$")


def cases_of(stdout):
    """[(name, result)] of one cmocka program's output, in order."""
    out, running = [], None
    for line in stdout.splitlines():
        m = CASE.match(line)
        if not m:
            continue
        tag, name = m.groups()
        if tag == "RUN":
            if running:
                out.append((running, "FAILED"))
            running = name
        elif running == name and tag in ("OK", "FAILED", "SKIPPED"):
            out.append((name, tag))
            running = None
    if running:
        out.append((running, "FAILED"))  # started, never ended: a crash
    return out


def count_phase(log):
    """(passed, failed, skipped lists of names, {case name: result})."""
    passed, failed, skipped, seen = [], [], [], {}
    with open(log, encoding="utf-8") as f:
        for line in f:
            t = json.loads(line)
            prog = t["name"].split(" / ")[-1]
            cases = cases_of(t.get("stdout", ""))
            ok = t["result"] in ("OK", "EXPECTEDFAIL")
            # a program SECURITY.md names by its file (test_interposition
            # for test_interposition_shared and _static) holds when each
            # of its runs passed
            cmd = t.get("command") or [""]
            exe = re.sub(r"_(shared|static)$", "", cmd[0].rsplit("/", 1)[-1])
            if re.fullmatch(r"test_[a-z0-9_]+", exe):
                seen.setdefault(exe, set()).add("OK" if ok else "FAILED")
            if not cases:
                if t["result"] == "SKIP":
                    skipped.append(prog)
                elif ok:
                    passed.append(prog)
                else:
                    failed.append(prog + " (" + t["result"] + ")")
                continue
            # a table-driven case prints its rows, one a line, the row's
            # name first ("case NAME ..." or "NAME ..."); a row holds when
            # its program's cases all passed
            for row in t.get("stdout", "").splitlines():
                w = row[5:].split() if row.startswith("case ") else row.split()
                if w and re.fullmatch(r"[a-z0-9_]+", w[0]) and "_" in w[0]:
                    seen.setdefault(w[0], set()).add("OK" if ok else "FAILED")
            for name, res in cases:
                seen.setdefault(name, set()).add(res)
                full = prog + ": " + name
                {"OK": passed, "FAILED": failed, "SKIPPED": skipped}[res].append(full)
            if not ok and not any(r == "FAILED" for _, r in cases):
                failed.append(prog + " (" + t["result"] + " after its last case)")
    return passed, failed, skipped, seen


def claims(path):
    """The test names SECURITY.md gives for its guarantees."""
    names, in_table = set(), False
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("| guarantee | test"):
                in_table = True
                continue
            if not line.strip():
                in_table = False
            if not in_table or not line.startswith("|"):
                continue
            col = line.rstrip().rstrip("|").split("|")[-1]
            for tick in re.findall(r"`([^`]*)`", col):
                for part in tick.split(","):
                    part = re.sub(r"^.*: ", "", part.strip())
                    part = re.sub(r" \(.*", "", part)
                    if re.fullmatch(r"[a-z0-9_*]+", part) and "_" in part:
                        names.add(part)
    return sorted(names)


def main(argv):
    claims_file, extra, phases = None, [], []
    i = 0
    while i < len(argv):
        if argv[i] == "--claims":
            claims_file = argv[i + 1]
            i += 2
        elif argv[i] == "--extra":
            extra.append(argv[i + 1])
            i += 2
        else:
            phases.append(argv[i].split("=", 1))
            i += 1
    total = {"passed": 0, "failed": 0, "skipped": 0}
    first_seen = None
    for phase, log in phases:
        try:
            p, f, s, seen = count_phase(log)
        except OSError as e:
            print(f"phase {phase}: no test log ({e.strerror}): counted as one failure")
            total["failed"] += 1
            if first_seen is None:
                first_seen = {}
            continue
        if first_seen is None:
            first_seen = seen
        print(f"phase {phase}: {len(p)} passed, {len(f)} failed, {len(s)} skipped")
        for name in f:
            print(f"  failed ({phase}): {name}")
        for name in s:
            print(f"  skipped ({phase}): {name}")
        total["passed"] += len(p)
        total["failed"] += len(f)
        total["skipped"] += len(s)
    for e in extra:
        name, res = e.rsplit(":", 1)
        total[res] += 1
        if res != "passed":
            print(f"  {res}: {name}")
    if claims_file:
        names = claims(claims_file)
        unchecked, missing = [], []
        for n in names:
            rx = re.compile("^" + n.replace("*", "[a-z0-9_]*") + "$")
            res = set()
            for case, r in (first_seen or {}).items():
                if rx.match(case):
                    res |= r
            if not res:
                missing.append(n)
            elif "OK" not in res:
                unchecked.append(n)
        for n in unchecked:
            print(f"  not checked in this run: {n} (SECURITY.md names it; it skipped)")
        for n in missing:
            print(f"  failed: SECURITY.md names {n}, which did not run in the first phase")
        total["failed"] += len(missing)
        print(
            f"security claims: {len(names)} tests named, {len(names) - len(unchecked) - len(missing)} "
            f"passed, {len(unchecked)} not checked in this run, {len(missing)} did not run"
        )
    print(f"tests: {total['passed']} passed, {total['failed']} failed, {total['skipped']} skipped")
    return 1 if total["failed"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

#!/usr/bin/env python3
"""Times commands in turn, one run of each per round, so a change in the machine's load
during the measurement falls on all of them alike (hyperfine runs all of one command's runs
before the next's, and on a shared machine a ratio between two blocks moves with the load).

    interleave.py --runs N --results DIR NAME PREPARE COMMAND [NAME PREPARE COMMAND ...]

PREPARE is a shell command run before each run of COMMAND, untimed ("-" for none). COMMAND
is split like a shell word list and run without a shell, its output discarded. One warm-up
run each, then N rounds. Writes DIR/NAME.json in hyperfine's shape (results[0].median,
mean, min, max and times, in seconds).
"""
import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--results", required=True)
    parser.add_argument("specs", nargs="+")
    args = parser.parse_args()
    if len(args.specs) % 3:
        parser.error("give NAME PREPARE COMMAND triples")
    triples = [tuple(args.specs[i:i + 3]) for i in range(0, len(args.specs), 3)]
    devnull = os.open(os.devnull, os.O_RDWR)
    # posix_spawn straight, as hyperfine starts a command: subprocess adds a few tenths of a
    # millisecond per run, which would show in a 5 ms commit.
    actions = [(os.POSIX_SPAWN_DUP2, devnull, fd) for fd in (0, 1, 2)]

    def once(prepare: str, command: str) -> float:
        if prepare != "-":
            subprocess.run(prepare, shell=True, check=True, stdout=subprocess.DEVNULL)
        argv = shlex.split(command)
        start = time.perf_counter()
        pid = os.posix_spawnp(argv[0], argv, os.environ, file_actions=actions)
        os.waitpid(pid, 0)
        return time.perf_counter() - start

    for _, prepare, command in triples:
        once(prepare, command)
    times = {name: [] for name, _, _ in triples}
    for _ in range(args.runs):
        for name, prepare, command in triples:
            times[name].append(once(prepare, command))
    for name, _, command in triples:
        t = times[name]
        result = {
            "command": command,
            "median": statistics.median(t),
            "mean": statistics.fmean(t),
            "min": min(t),
            "max": max(t),
            "times": t,
        }
        with open(os.path.join(args.results, name + ".json"), "w") as out:
            json.dump({"results": [result]}, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Runs a command and reports the peak memory of its whole process tree: every
50 ms, the PSS of the command and all its descendants (DataLoader workers,
say) summed, from /proc/<pid>/smaps_rollup. PSS shares each page among the
processes that map it, so forked workers that share the parent's pages are
not counted twice, as summed RSS would count them.

    /usr/bin/python3 experiments/bench/peak_pss.py [--interval 0.05] -- COMMAND [ARGS...]

The command's stdout and stderr pass through; `peak_pss_mib: X` is printed on
stderr at the end, and the command's exit status is returned.
"""
import argparse
import os
import subprocess
import sys
import time


def parents():
    """{pid: parent pid} of every process now running."""
    found = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as f:
                    # The name in parentheses may hold spaces; the parent pid is
                    # the second field after it.
                    found[int(name)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass  # exited while we looked
    return found


def tree_pss_kib(root):
    parent_of = parents()
    tree, grew = {root}, True
    while grew:
        grown = tree | {pid for pid, parent in parent_of.items() if parent in tree}
        grew, tree = len(grown) > len(tree), grown
    total = 0
    for pid in tree:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
        except (OSError, StopIteration):
            pass  # exited, or a zombie without mappings
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--interval", type=float, default=0.05, help="seconds between samples (default 0.05)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND [ARGS...]")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("name the command to run after --")

    process = subprocess.Popen(command)
    peak = 0
    try:
        while process.poll() is None:
            peak = max(peak, tree_pss_kib(process.pid))
            time.sleep(args.interval)
    except KeyboardInterrupt:  # the command got the Ctrl-C too; let it finish
        process.wait()
    print(f"peak_pss_mib: {peak / 1024:.1f}", file=sys.stderr)
    # A command killed by signal N exits as a shell reports it, 128 + N.
    sys.exit(process.returncode if process.returncode >= 0 else 128 - process.returncode)


if __name__ == "__main__":
    main()

"""Runs every case in every library, interleaved: one worker process per library (ours.ts under
Deno and Bun, reference.py for NumPy, MLX and PyTorch) stays up, and each case goes to all of
them in turn before the next case. A row's times are so taken within seconds of each other,
which keeps its ratios meaningful when the machine's load changes during the run. Idle workers
block on their stdin; after NumPy and PyTorch (whose BLAS/OpenMP threads spin a while after
work) the next worker starts after a short pause.

usage: driver.py CASES.jsonl RESULTS.jsonl NAME=COMMAND...   (COMMAND: a shell command line)
"""

import json
import subprocess
import sys
import time

SPINNING = ("numpy", "torch")


def main():
    cases = [line for line in open(sys.argv[1]) if line.strip()]
    out = open(sys.argv[2], "a")
    workers = {}
    for spec in sys.argv[3:]:
        name, command = spec.split("=", 1)
        workers[name] = subprocess.Popen(command, shell=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    start = time.monotonic()
    for index, line in enumerate(cases):
        case = json.loads(line)["name"]
        print(f"bench: [{index + 1}/{len(cases)}] {case} ({time.monotonic() - start:.0f} s)", file=sys.stderr)
        for name, worker in workers.items():
            out.write(ask(name, worker, line, case) + "\n")
            out.flush()
            if name in SPINNING:
                time.sleep(0.2)
    for worker in workers.values():
        if worker.poll() is None:
            worker.stdin.close()
            worker.wait()


def ask(name, worker, line, case):
    """The worker's JSON line for the case, or a skip record when the worker has exited."""
    if worker.poll() is None:
        try:
            worker.stdin.write(line.rstrip("\n") + "\n")
            worker.stdin.flush()
            for answer in iter(worker.stdout.readline, ""):
                if answer.startswith("{") and json.loads(answer).get("case") == case:
                    return answer.rstrip("\n")
                print(f"{name}: {answer.rstrip()}", file=sys.stderr)  # a library's own output
        except BrokenPipeError:
            pass
    return json.dumps({"runtime": name, "case": case, "skip": f"worker exited ({worker.poll()})"})


if __name__ == "__main__":
    main()

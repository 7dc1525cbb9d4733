"""The worker: works until stopped; `worker.py cleanup` is the timer's task."""

import sys
import time


def main():
    if sys.argv[1:] == ["cleanup"]:
        print("worker: cleanup done", flush=True)
        return
    while True:
        print("worker: working", flush=True)
        time.sleep(10)


if __name__ == "__main__":
    main()

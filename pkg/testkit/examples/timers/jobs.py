"""Background jobs: a worker that waits for work, and the timers' tasks."""

import sys
import time


def main(task):
    if task == "work":
        while True:
            print("jobs: waiting for work", flush=True)
            time.sleep(30)
    print(f"jobs: {task} done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "work")

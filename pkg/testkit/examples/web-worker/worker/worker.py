"""A background worker: does a unit of work every few seconds."""

import time


def main():
    n = 0
    while True:
        n += 1
        print(f"worker: job {n} done", flush=True)
        time.sleep(5)


if __name__ == "__main__":
    main()

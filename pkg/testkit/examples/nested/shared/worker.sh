#!/bin/sh
# A worker shared by the apps of this source: ticks once a minute.
while true; do
  echo "worker: tick"
  sleep 60
done

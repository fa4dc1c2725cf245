#!/usr/bin/env bash
# Makes a Docker engine answer on this machine for the container tests: installs Debian's docker.io when no engine
# is installed, starts dockerd in the background when none answers (log: $DOCKERD_LOG), waits for `docker info`
# at most $DOCKER_START_TIMEOUT_S seconds. Exit 0 when an engine answers, 1 (with the reason) when none can.
set -uo pipefail
DOCKERD_LOG=${DOCKERD_LOG:-/tmp/labgrader-dockerd.log}
DOCKER_START_TIMEOUT_S=${DOCKER_START_TIMEOUT_S:-30}

answers() { timeout 5 docker info >/dev/null 2>&1; }

if command -v docker >/dev/null 2>&1 && answers; then
  exit 0
fi
if ! command -v dockerd >/dev/null 2>&1; then
  if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
    echo "docker-engine: no dockerd and no root apt-get to install docker.io" >&2
    exit 1
  fi
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null) || {
    echo "docker-engine: apt-get install docker.io failed" >&2
    exit 1
  }
fi
if [ "$(id -u)" != 0 ]; then
  echo "docker-engine: dockerd is installed but not running, and starting it needs root" >&2
  exit 1
fi
# setsid: the engine outlives this script (and CI's shell), as a system service would.
setsid dockerd >"$DOCKERD_LOG" 2>&1 < /dev/null &
deadline=$((SECONDS + DOCKER_START_TIMEOUT_S))
until answers; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    echo "docker-engine: dockerd did not answer within ${DOCKER_START_TIMEOUT_S} s (see $DOCKERD_LOG)" >&2
    exit 1
  fi
  sleep 0.2
done

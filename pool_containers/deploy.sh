#!/usr/bin/env bash
# Deploy image tag TAG of Crypto-Pilot with docker compose on this host, rolling back to the
# tag that ran before when the gateway's health check fails. Run it in pool_containers/ on
# the VPS (the deploy workflow does it over SSH):
#
#   ./deploy.sh 0.2.0
#
# Exit status: 0 deployed and healthy; 1 TAG was unhealthy and the previous tag runs again;
# 2 the previous tag is unhealthy too (someone must look); 64 bad usage.
#
# Environment (all optional):
#   DOCKER_COMPOSE            the compose command (default "docker compose"; "podman compose" works)
#   CRYPTOPILOT_HEALTH_URL    default http://127.0.0.1:$CRYPTOPILOT_GATEWAY_PORT/api/health
#   CRYPTOPILOT_HEALTH_TIMEOUT seconds to wait for a healthy gateway (default 180)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

ENV_FILE=.env
TAG_VARIABLE=CRYPTOPILOT_IMAGE_TAG
read -r -a COMPOSE <<<"${DOCKER_COMPOSE:-docker compose}"

log() { printf '%s deploy: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }

# The value of NAME in .env (empty when absent).
env_value() {
  sed -n "s/^$1=//p" "$ENV_FILE" | tail -n 1
}

# Set NAME=VALUE in .env, replacing the line or appending it.
set_env_value() {
  local name=$1 value=$2 tmp
  tmp=$(mktemp "$ENV_FILE.XXXXXX")
  grep -v "^$name=" "$ENV_FILE" >"$tmp" || true
  printf '%s=%s\n' "$name" "$value" >>"$tmp"
  chmod --reference="$ENV_FILE" "$tmp"
  mv "$tmp" "$ENV_FILE"
}

# Poll the gateway's health route until it answers 2xx or the timeout passes.
wait_healthy() {
  local url=$1 timeout=$2 deadline
  deadline=$((SECONDS + timeout))
  while ((SECONDS < deadline)); do
    if curl -fsS --max-time 5 -o /dev/null "$url"; then
      return 0
    fi
    sleep 2
  done
  return 1
}

# Pull and start TAG's images; the compose file reads the tag from .env. Called inside `if`,
# where `set -e` does not apply: every step checks its own status.
start_tag() {
  set_env_value "$TAG_VARIABLE" "$1" || return 1
  python3 render_pools.py >&2 || return 1
  "${COMPOSE[@]}" pull --quiet || return 1
  "${COMPOSE[@]}" up -d || return 1
}

main() {
  if (($# != 1)) || [[ -z $1 ]]; then
    echo "usage: $0 TAG" >&2
    return 64
  fi
  local tag=$1 previous port health_url timeout
  [[ -f $ENV_FILE ]] || { echo "no $ENV_FILE here: copy .env.example and fill it in" >&2; return 64; }
  previous=$(env_value "$TAG_VARIABLE")
  port=$(env_value CRYPTOPILOT_GATEWAY_PORT)
  health_url=${CRYPTOPILOT_HEALTH_URL:-http://127.0.0.1:${port:-8080}/api/health}
  timeout=${CRYPTOPILOT_HEALTH_TIMEOUT:-180}

  log "deploying $tag (running: ${previous:-none})"
  if start_tag "$tag" && wait_healthy "$health_url" "$timeout"; then
    log "$tag is healthy at $health_url"
    return 0
  fi
  log "$tag is NOT healthy at $health_url within ${timeout}s"
  if [[ -z $previous || $previous == "$tag" ]]; then
    log "no previous tag to roll back to"
    return 2
  fi
  log "rolling back to $previous"
  if start_tag "$previous" && wait_healthy "$health_url" "$timeout"; then
    log "rolled back: $previous is healthy again"
    return 1
  fi
  log "rollback to $previous is NOT healthy either"
  return 2
}

main "$@"

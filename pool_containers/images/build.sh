#!/usr/bin/env bash
# Build localhost/cryptopilot-pool:<version> and localhost/cryptopilot-gateway:<version> with
# podman, from a Debian base made here with debootstrap (no registry image is pulled).
#
#   pool_containers/images/build.sh [pool|gateway ...]      (default: both; `make images`)
#
# Environment:
#   BASE_IMAGE                  use this base instead of the local debootstrap one (e.g.
#                               docker.io/library/debian:bookworm-slim where registries work)
#   CRYPTOPILOT_IMAGE_REGISTRY  image name prefix (default localhost)
#   CRYPTOPILOT_IMAGE_TAG       image tag (default pyproject's version)
#   CRYPTOPILOT_IMAGE_CACHE     where the base's root file system tarball is kept (default
#                               $XDG_CACHE_HOME/cryptopilot, else /var/cache/cryptopilot)
#   DEBIAN_RELEASE, DEBIAN_MIRROR, DEBIAN_SECURITY_MIRROR   what debootstrap fetches
#   PIP_CERT                    CA bundle for pip inside the build (a TLS-inspecting proxy);
#                               given as a build secret, never stored in a layer
#
# The base is made once per Debian release: the tarball stays in the cache and the imported
# image in podman's store, so later runs only rebuild the layers whose inputs changed (pip
# downloads sit in a build cache mount). See docs/images.md.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RELEASE="${DEBIAN_RELEASE:-bookworm}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}"
REGISTRY="${CRYPTOPILOT_IMAGE_REGISTRY:-localhost}"
if [[ -n "${XDG_CACHE_HOME:-}" ]]; then
    DEFAULT_CACHE="$XDG_CACHE_HOME/cryptopilot"
else
    DEFAULT_CACHE=/var/cache/cryptopilot
fi
CACHE="${CRYPTOPILOT_IMAGE_CACHE:-$DEFAULT_CACHE}"
LOCAL_BASE="localhost/debian:${RELEASE}-slim"
TAG="${CRYPTOPILOT_IMAGE_TAG:-}"
[[ -n "$TAG" ]] || TAG="$(python3 -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["project"]["version"])' "$REPO/pyproject.toml")"

log() { printf '[images] %s\n' "$*" >&2; }

# Trim the minbase tree the way Debian's slim images are trimmed, and give it the same apt
# sources (updates and security, not only the release).
slim_rootfs() {
    local root="$1"
    cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
DPKG
    cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT
    echo 'Acquire::Languages "none";' >"$root/etc/apt/apt.conf.d/docker-no-languages"
    rm -f "$root/etc/apt/sources.list"
    cat >"$root/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: $MIRROR
Suites: $RELEASE $RELEASE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY_MIRROR
Suites: $RELEASE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
    find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
    find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
    rm -rf "$root"/usr/share/{man,groff,info,lintian,linda}/* \
        "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin \
        "$root"/var/lib/apt/lists/* "$root"/var/log/* "$root"/tmp/*
}

# Make (or reuse) the base: podman's store, else the cached tarball, else debootstrap.
ensure_base() {
    if podman image exists "$LOCAL_BASE"; then
        log "base $LOCAL_BASE present"
        return
    fi
    local tarball="$CACHE/debian-$RELEASE-minbase-slim.tar" started=$SECONDS
    if [[ ! -s "$tarball" ]]; then
        local work
        work="$(mktemp -d)"
        # shellcheck disable=SC2064 # expand now: the path is local to this function
        trap "rm -rf '$work'" EXIT
        log "debootstrap $RELEASE from $MIRROR (about a minute, once per release)"
        debootstrap --variant=minbase "$RELEASE" "$work/root" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
            || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
        slim_rootfs "$work/root"
        mkdir -p "$CACHE"
        tar --numeric-owner -C "$work/root" -cf "$tarball.part" .
        mv "$tarball.part" "$tarball"
        rm -rf "$work"
        trap - EXIT
    fi
    log "importing $tarball as $LOCAL_BASE"
    podman import --change 'CMD ["bash"]' "$tarball" "$LOCAL_BASE" >/dev/null
    log "base $LOCAL_BASE ready in $((SECONDS - started)) s"
}

build() {
    local name="$1" base="$2"
    local image="$REGISTRY/cryptopilot-$name:$TAG"
    log "building $image (BASE_IMAGE=$base)"
    local started=$SECONDS
    local secret=()
    [[ -z "${PIP_CERT:-}" ]] || secret=(--secret "id=ca,src=$PIP_CERT")
    # docker format: OCI image configs have no HEALTHCHECK, STOPSIGNAL is kept by both.
    podman build --isolation=chroot --layers --format docker "${secret[@]}" \
        --build-arg "BASE_IMAGE=$base" \
        --file "$REPO/Dockerfile.$name" --tag "$image" "$REPO"
    log "built $image in $((SECONDS - started)) s"
}

main() {
    local names=("$@")
    [[ ${#names[@]} -gt 0 ]] || names=(pool gateway)
    for name in "${names[@]}"; do
        [[ -f "$REPO/Dockerfile.$name" ]] || { log "no Dockerfile.$name"; exit 2; }
    done
    local base="${BASE_IMAGE:-}"
    if [[ -z "$base" ]]; then
        ensure_base
        base="$LOCAL_BASE"
    fi
    for name in "${names[@]}"; do
        build "$name" "$base"
    done
}

main "$@"

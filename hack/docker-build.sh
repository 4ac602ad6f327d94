#!/usr/bin/env bash
# docker-build.sh builds an image FROM scratch around one static binary.
#
#   hack/docker-build.sh DOCKERFILE BINARY TAG
#
# The build context is a temporary directory holding just the Dockerfile,
# the binary and an empty state/ directory: nothing else of the tree is sent
# to the daemon, and nothing is pulled (these machines cannot pull).
set -euo pipefail

[ $# = 3 ] || { echo "usage: $0 DOCKERFILE BINARY TAG" >&2; exit 2; }
dockerfile=$1 binary=$2 tag=$3
[ -x "$binary" ] || { echo "docker-build: $binary is missing: run make build first" >&2; exit 1; }

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
cp "$dockerfile" "$ctx/Dockerfile"
cp "$binary" "$ctx/"
mkdir "$ctx/state"

# The legacy builder ships with every engine; BuildKit needs the buildx
# plugin, which a fresh machine may lack. Respect an explicit choice.
# Its deprecation notice is noise: show the output only on failure.
if ! out=$(DOCKER_BUILDKIT=${DOCKER_BUILDKIT:-0} docker build --tag "$tag" "$ctx" 2>&1); then
  printf '%s\n' "$out" >&2
  echo "docker-build: building $tag failed" >&2
  exit 1
fi
echo "docker-build: built $tag ($(docker image inspect --format '{{.Size}}' "$tag" | awk '{printf "%.1f MB", $1/1e6}'))"

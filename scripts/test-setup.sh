#!/usr/bin/env bash
# Makes this machine able to run the whole test suite: PostgreSQL answering at FLEXDB_TEST_DATABASE_URL
# (started here if it is a local cluster that is down), and Debian's Chromium with its driver for the
# API docs browser test. Safe to run again; `make test` runs it first.
set -euo pipefail

url=${FLEXDB_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}

if command -v pg_isready >/dev/null && ! pg_isready -q -d "$url"; then
  if command -v pg_ctlcluster >/dev/null; then
    for version in $(ls /etc/postgresql 2>/dev/null); do
      pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
    done
    for _ in $(seq 1 30); do pg_isready -q -d "$url" && break; sleep 1; done
  fi
fi
pg_isready -q -d "$url" 2>/dev/null || echo "test-setup: PostgreSQL does not answer at $url; its tests will skip (or fail under CI=true)" >&2

if ! command -v chromium >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "test-setup: install Chromium (Debian: apt-get install chromium chromium-driver) for the docs browser test" >&2
  fi
fi

# grpcurl, for the README walkthrough and the guides (guides/guides_test.go looks in PATH and in
# $(go env GOPATH)/bin).
if ! command -v grpcurl >/dev/null && [ ! -x "$(go env GOPATH)/bin/grpcurl" ]; then
  go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4 ||
    echo "test-setup: could not install grpcurl; the guides tests will skip (or fail under CI=true)" >&2
fi

# Node.js, for the JavaScript snippet of docs/CLIENT_INTEGRATION.md.
if ! command -v node >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs >/dev/null
fi

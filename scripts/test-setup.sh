#!/usr/bin/env bash
# Makes this machine able to run the whole test suite: PostgreSQL answering at FLEXDB_TEST_DATABASE_URL
# (started here if it is a local cluster that is down), and the tools some tests drive: Chromium (docs
# browser test), grpcurl and Node.js (guides), protoc (check-generated). Safe to run again; `make test` runs it first.
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

# apt_install PACKAGE...: installs Debian packages when this is root on Debian (package lists refreshed
# once); otherwise returns 1 and the caller says what to install.
apt_updated=
apt_install() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || return 1
  [ -n "$apt_updated" ] || { apt-get update -qq && apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! command -v chromium >/dev/null; then
  if ! apt_install chromium chromium-driver; then
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
if ! command -v node >/dev/null; then
  apt_install nodejs || echo "test-setup: install Node.js for the JavaScript snippet test" >&2
fi

# protoc and the well-known protos, for `make check-generated`.
if ! command -v protoc >/dev/null || [ ! -f /usr/include/google/protobuf/timestamp.proto ]; then
  apt_install protobuf-compiler libprotobuf-dev ||
    echo "test-setup: install protoc (Debian: apt-get install protobuf-compiler libprotobuf-dev)" >&2
fi

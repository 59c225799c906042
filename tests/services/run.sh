#!/usr/bin/env bash
# Run a command (the test suite) with every service the tests need started, and
# stopped again afterwards whatever the outcome. A service given from outside through
# its FIMISHARE_TEST_* variable is used as it is.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
state=${FIMISHARE_TEST_STATE:-/tmp/fimishare-test-services}
mkdir -p "$state"

cleanup() {
  [ -n "${started_search:-}" ] && "$here/search-node.sh" stop "$state/search-node"
  [ -n "${started_postgres:-}" ] && "$here/postgres.sh" stop "$state/postgres"
  return 0
}
trap cleanup EXIT

if [ -z "${FIMISHARE_TEST_POSTGRES_URL:-}" ]; then
  port=${FIMISHARE_TEST_POSTGRES_PORT:-54329}
  FIMISHARE_TEST_POSTGRES_URL=$("$here/postgres.sh" start "$state/postgres" "$port")
  started_postgres=1
  export FIMISHARE_TEST_POSTGRES_URL
  echo "PostgreSQL for the tests: $FIMISHARE_TEST_POSTGRES_URL" >&2
fi

if [ -z "${FIMISHARE_TEST_ELASTICSEARCH_URL:-}" ]; then
  port=${FIMISHARE_TEST_SEARCH_PORT:-9250}
  FIMISHARE_TEST_ELASTICSEARCH_URL=$("$here/search-node.sh" start "$state/search-node" "$port")
  started_search=1
  export FIMISHARE_TEST_ELASTICSEARCH_URL
  echo "Search node for the tests: $FIMISHARE_TEST_ELASTICSEARCH_URL" >&2
fi

"$@"

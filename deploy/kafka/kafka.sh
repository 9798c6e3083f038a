#!/usr/bin/env bash
# A single-node Apache Kafka 3.9 broker (KRaft) on loopback, for tests and local runs.
# The jars come from Maven Central once (deploy/kafka/pom.xml) and are cached under .cache/kafka/lib.
#   deploy/kafka/kafka.sh start   fresh data dir, waits until the broker serves clients
#   deploy/kafka/kafka.sh stop    graceful shutdown
#   deploy/kafka/kafka.sh resume  start again on the existing data (outage tests)
# KAFKA_PORT (default 9092) and KAFKA_CONTROLLER_PORT (default 9093) choose the ports; KAFKA_HOME
# (default .cache/kafka) holds data, log and pid, so a second broker can run beside the first.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
home="${KAFKA_HOME:-$root/.cache/kafka}"
lib="${KAFKA_LIB:-$root/.cache/kafka/lib}"   # shared by every broker started from this checkout
data="$home/data"
port="${KAFKA_PORT:-9092}"
controller_port="${KAFKA_CONTROLLER_PORT:-9093}"
pidfile="$home/kafka.pid"
log="$home/kafka.log"
jvm_opts=(-Xms256m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
  "-Dlog4j.configuration=file:$here/log4j.properties")

fetch_jars() {
  [ -f "$lib/.complete" ] && return 0
  echo "kafka: resolving broker jars from Maven Central (first run only)"
  mkdir -p "$lib"
  mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$lib"
  touch "$lib/.complete"
}

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

start() {
  fresh="${1:-fresh}"
  if running; then echo "kafka: already running (pid $(cat "$pidfile"))"; return 0; fi
  fetch_jars
  if [ "$fresh" = fresh ] || [ ! -d "$data" ]; then
    rm -rf "$data" && mkdir -p "$data"
  fi
  sed -e "s#@DATA@#$data#" -e "s#@PORT@#$port#g" -e "s#@CONTROLLER_PORT@#$controller_port#g" \
    "$here/server.properties" >"$home/server.properties"
  java -Xmx256m "-Dlog4j.configuration=file:$here/log4j.properties" -cp "$lib/*" kafka.tools.StorageTool \
    format -t 4L6g3nShT-eMCtK--X86sw -c "$home/server.properties" --ignore-formatted >/dev/null
  nohup java "${jvm_opts[@]}" -cp "$lib/*" kafka.Kafka "$home/server.properties" >"$log" 2>&1 &
  echo $! >"$pidfile"
  # 'Kafka Server started' is logged only once the broker is unfenced and serving requests
  for _ in $(seq 1 240); do
    grep -q 'Kafka Server started' "$log" && { echo "kafka: ready on 127.0.0.1:$port"; return 0; }
    running || break
    sleep 0.5
  done
  echo "kafka: did not start; last lines of $log:" >&2
  tail -n 40 "$log" >&2
  return 1
}

stop() {
  running || { rm -f "$pidfile"; return 0; }
  local pid; pid="$(cat "$pidfile")"
  kill "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
  echo "kafka: stopped"
}

case "${1:-}" in
  start) start fresh ;;
  resume) start keep ;;
  stop) stop ;;
  restart) stop; start ;;
  *) echo "usage: $0 start|stop|restart" >&2; exit 2 ;;
esac

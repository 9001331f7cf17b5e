#!/usr/bin/env bash
# mpirun's "ssh" for scripts/netns-equivalence.sh: `netns-agent.sh [options] HOST COMMAND...`
# runs COMMAND in the network namespace that owns HOST's address ($MYELIN_NETNS_A/B, exported by
# the script and inherited through mpirun).
while [[ "$1" == -* ]]; do shift; done
host="$1"
shift
case "$host" in
  10.77.0.1) ns="$MYELIN_NETNS_A" ;;
  10.77.0.2) ns="$MYELIN_NETNS_B" ;;
  *) echo "netns-agent: unknown host $host" >&2; exit 255 ;;
esac
exec ip netns exec "$ns" /bin/sh -c "$*"

#!/usr/bin/env bash
# Two "machines" on one host: network namespaces myelin-a-PID and myelin-b-PID joined by a veth pair
# (10.77.0.1 <-> 10.77.0.2), one MPI rank in each, MPI over TCP between them (no shared memory:
# btl self,tcp). mpirun runs in myelin-a and starts the remote daemon in myelin-b through a
# stand-in for ssh (netns-agent.sh: `ip netns exec`), exactly as it would over ssh. Then the
# equivalence check of src/equivalence.test.ts: 2 ranks x batch 32 against 1 rank x batch 64.
# Needs root (ip netns), iproute2 and Open MPI. Run: pnpm --filter @myelin/distributed netns
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
# Names carry this shell's PID, so two runs on one machine do not collide (addresses are per namespace).
A="myelin-a-$$" B="myelin-b-$$" VA="mya$$" VB="myb$$"
export MYELIN_NETNS_A="$A" MYELIN_NETNS_B="$B"
if [ "$(id -u)" != 0 ]; then echo "netns: needs root (ip netns)" >&2; exit 2; fi
command -v ip >/dev/null || { echo "netns: needs iproute2 (apt-get install iproute2)" >&2; exit 2; }
command -v mpirun >/dev/null || { echo "netns: needs Open MPI (apt-get install openmpi-bin libopenmpi-dev)" >&2; exit 2; }

cleanup() { ip netns del "$A" 2>/dev/null || true; ip netns del "$B" 2>/dev/null || true; rm -rf "${out:-}"; }
trap cleanup EXIT
cleanup
ip netns add "$A"
ip netns add "$B"
ip link add "$VA" type veth peer name "$VB"
ip link set "$VA" netns "$A"
ip link set "$VB" netns "$B"
ip -n "$A" addr add 10.77.0.1/24 dev "$VA"
ip -n "$B" addr add 10.77.0.2/24 dev "$VB"
for ns in "$A" "$B"; do ip -n "$ns" link set lo up; done
ip -n "$A" link set "$VA" up
ip -n "$B" link set "$VB" up
echo "netns: $A (10.77.0.1) and $B (10.77.0.2) joined by a veth pair"

out="$(mktemp -d)"
mkdir -p "$out/single" "$out/mpi"
printf '10.77.0.1 slots=1\n10.77.0.2 slots=1\n' >"$out/hostfile"
fixture="$root/test/fixtures/train.mjs"
common=(--backend "${BACKEND:-cpu-reference}" --dtype "${DTYPE:-float64}" --epochs 5 --samples 640)

node "$fixture" "${common[@]}" --batch 64 --out "$out/single" >/dev/null
started=$(date +%s%N)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
ip netns exec "$A" mpirun \
  --hostfile "$out/hostfile" -np 2 --map-by node --bind-to none \
  --mca plm_rsh_agent "$here/netns-agent.sh" \
  --mca btl self,tcp --mca btl_tcp_if_include 10.77.0.0/24 --mca oob_tcp_if_include 10.77.0.0/24 \
  --mca pml ob1 \
  -x PATH \
  node "$fixture" "${common[@]}" --batch 32 --out "$out/mpi" --report-host || {
  echo "netns: mpirun failed" >&2
  exit 1
}
echo "netns: mpirun took $(( ($(date +%s%N) - started) / 1000000 )) ms"
node --input-type=module -e '
  import { readFileSync } from "node:fs";
  const [dir, tolerance] = process.argv.slice(1);
  const read = (f) => JSON.parse(readFileSync(`${dir}/${f}`, "utf8"));
  const single = read("single/rank-0.json"), r0 = read("mpi/rank-0.json"), r1 = read("mpi/rank-1.json");
  let diff = 0, scale = 0, same = true;
  for (const [name, values] of Object.entries(single.parameters)) values.forEach((v, i) => {
    diff = Math.max(diff, Math.abs(v - r0.parameters[name][i])); scale = Math.max(scale, Math.abs(v));
    same &&= r0.parameters[name][i] === r1.parameters[name][i];
  });
  console.log(`netns: rank 0 at ${r0.host.address}, rank 1 at ${r1.host.address}; ${r0.stats.steps} steps, ${r0.stats.allReduces} all-reduces over ${r0.sharedMemory ? "shared memory" : "MPI_Allreduce"}`);
  console.log(`netns: replicas identical: ${same}; max |2 ranks x 32 - 1 rank x 64| = ${diff.toExponential(2)} (relative ${(diff / scale).toExponential(2)}, limit ${tolerance})`);
  // Two "machines": no shared-memory window may span them.
  if (!same || !(diff / scale < Number(tolerance)) || r0.host.address === r1.host.address || r0.sharedMemory) process.exit(1);
  console.log("netns: PASS");
' "$out" "${TOLERANCE:-1e-10}"

#!/usr/bin/env bash
# Signing with a key on a PKCS#11 token (a real SoftHSM2 token) against the same key type in a file, same run:
#   - `modelseal sign --signature` of a 1 GiB sealed file (a detached signature: the Merkle root over the
#     ciphertext chunks is computed here, the token signs it once);
#   - `modelseal seal --sign-key` of the 1 GiB plaintext (encryption plus that one signature);
#   - `modelseal sign` of a 4 KiB sealed file ("tiny"): the fixed cost a token adds, isolated.
# Key types: Ed25519 (CKM_EDDSA) and ECDSA P-256 (CKM_ECDSA over a host-side SHA-256).
#
#   bash scripts/bench-pkcs11.sh                 1 GiB, 5 rounds
#   SIZE_MIB=256 RUNS=9 bash scripts/bench-pkcs11.sh
#   MODELSEAL_BIN=path bash scripts/bench-pkcs11.sh   use a given binary (default: a release build in .build)
#
# After one untimed warm-up per command (page cache warm), each round runs every command once in a shuffled
# order, so a burst of load from a neighbour spreads over all of them. Prints median wall time, min..max, and
# the token/file ratio per key type; then the load average. Wall times include process start, module loading
# (dlopen, C_Initialize reading the token folder) and the login.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/scripts/lib/bench.sh"
bin=$(modelseal_binary)
module=/usr/lib/softhsm/libsofthsm2.so
[ -e "$module" ] && command -v pkcs11-tool >/dev/null || { echo "needs softhsm2 and opensc (apt-get install -y softhsm2 opensc)" >&2; exit 1; }
runs=${RUNS:-5}
size_mib=${SIZE_MIB:-1024}
work=$(mktemp -d /tmp/modelseal-bench-pkcs11.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work"

mkdir tokens
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$work" >softhsm2.conf
export SOFTHSM2_CONF="$work/softhsm2.conf" MODELSEAL_PKCS11_MODULE=$module MODELSEAL_PKCS11_PIN=1234
softhsm2-util --init-token --free --label bench --pin 1234 --so-pin 87654321 >/dev/null
pkcs11-tool --module $module --login --pin 1234 --keypairgen --key-type EC:edwards25519 --label ed25519 --id 01 >/dev/null
pkcs11-tool --module $module --login --pin 1234 --keypairgen --key-type EC:prime256v1 --label p256 --id 02 >/dev/null
"$bin" keygen --sign -o ed25519.key >/dev/null 2>&1
"$bin" keygen --sign --alg ecdsa-p256 -o p256.key >/dev/null 2>&1
export MODEL_KEY=$("$bin" keygen --symmetric)
head -c $((size_mib << 20)) /dev/urandom >model.bin
"$bin" seal -q --key-env MODEL_KEY -o model.mseal model.bin
head -c 4096 /dev/urandom >small.bin
"$bin" seal -q --key-env MODEL_KEY -o small.mseal small.bin

declare -A command
for type in ed25519 p256; do
    command[sign-$type-file]="$bin sign --sign-key $type.key --signature sig model.mseal"
    command[sign-$type-token]="$bin sign --sign-key pkcs11:token=bench;object=$type --signature sig model.mseal"
    # A 4 KiB file: what the token adds per command (module load, C_Initialize, login, one C_Sign), isolated.
    command[tiny-$type-file]="$bin sign --sign-key $type.key --signature sig small.mseal"
    command[tiny-$type-token]="$bin sign --sign-key pkcs11:token=bench;object=$type --signature sig small.mseal"
    command[seal-$type-file]="$bin seal -q -f --key-env MODEL_KEY --sign-key $type.key -o out.mseal model.bin"
    command[seal-$type-token]="$bin seal -q -f --key-env MODEL_KEY --sign-key pkcs11:token=bench;object=$type -o out.mseal model.bin"
done
names=("${!command[@]}")
time_once() {  # prints milliseconds
    rm -f sig
    local start end
    start=$(date +%s%N)
    ${command[$1]} >/dev/null 2>&1 || { echo "failed: ${command[$1]}" >&2; exit 1; }
    end=$(date +%s%N)
    echo $(((end - start) / 1000000))
}
for name in "${names[@]}"; do time_once "$name" >/dev/null; done
declare -A samples
for _ in $(seq "$runs"); do
    for name in $(printf '%s\n' "${names[@]}" | shuf); do
        samples[$name]+="$(time_once "$name") "
    done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
range() { tr ' ' '\n' | grep -v '^$' | sort -n | awk 'NR==1{lo=$1} {hi=$1} END {print lo ".." hi}'; }
printf '%s MiB, %s rounds, %s\n' "$size_mib" "$runs" "$("$bin" --version)"
printf '%-18s %10s %14s\n' command "median ms" "min..max ms"
for operation in sign seal tiny; do
    for type in ed25519 p256; do
        for where in file token; do
            name=$operation-$type-$where
            printf '%-18s %10s %14s\n' "$name" "$(echo "${samples[$name]}" | median)" "$(echo "${samples[$name]}" | range)"
        done
        file=$(echo "${samples[$operation-$type-file]}" | median)
        token=$(echo "${samples[$operation-$type-token]}" | median)
        printf '%-18s %10s\n' "  token/file" "$(awk -v t="$token" -v f="$file" 'BEGIN {printf "%.3f", t / f}')"
    done
done
echo "load: $(uptime)"

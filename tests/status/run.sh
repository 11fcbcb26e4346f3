#!/bin/bash
# run.sh — the pt-status binary against fixture trees (tree.sh), its output
# and exit code compared with golden transcripts in tests/status/golden/:
#
#   $ pt-status ARGS        (--sysroot DIR left out)
#   standard output
#   --- stderr              (only when there is any)
#   standard error
#   --- exit N
#
# Usage: tests/status/run.sh [PATH/TO/pt-status]      (default build/pt-status)
#        UPDATE_GOLDEN=1 tests/status/run.sh ...      rewrite the golden files
#
# Names come from the tree's tiny usr/share/misc/pci.ids; file owners from
# its etc/passwd; so the transcripts are the same on every machine.
set -eu -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
bin=${1:-build/pt-status}
case $bin in
/*) ;;
*) bin=$PWD/$bin ;;
esac
golden=$here/golden
update=${UPDATE_GOLDEN:-0}

# shellcheck source-path=SCRIPTDIR source=tree.sh
. "$here/tree.sh"

pass=0
fail=0
ok() {
	pass=$((pass + 1))
	echo "PASS $1"
}
bad() {
	fail=$((fail + 1))
	echo "FAIL $1: $2"
}

if [ ! -x "$bin" ]; then
	bad "pt-status" "$bin is not built"
	echo "$pass passed, $fail failed"
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
RUNAS=()

# transcript ROOT ARGS...: run pt-status on ROOT; the transcript on stdout.
# compare_golden NAME - $tmp/got against golden/NAME.txt (UPDATE_GOLDEN=1
# writes it first).
compare_golden() {
	local name=$1
	if [ "$update" = 1 ]; then
		cp "$tmp/got" "$golden/$name.txt"
	fi
	if [ ! -f "$golden/$name.txt" ]; then
		bad "$name" "no golden file $golden/$name.txt (UPDATE_GOLDEN=1 writes it)"
	elif diff -u "$golden/$name.txt" "$tmp/got" >"$tmp/diff"; then
		ok "$name"
	else
		bad "$name" "output differs from golden/$name.txt:"
		cat "$tmp/diff"
	fi
}

transcript() {
	local root=$1 rc=0
	shift
	${RUNAS[@]+"${RUNAS[@]}"} "$bin" --sysroot "$root" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	echo "\$ pt-status${*:+ $*}"
	cat "$tmp/out"
	if [ -s "$tmp/err" ]; then
		echo "--- stderr"
		cat "$tmp/err"
	fi
	echo "--- exit $rc"
}

# check NAME ROOT ARGS...: compare the transcript with golden/NAME.txt.
check() {
	local name=$1 root=$2 args
	shift 2
	args=" $* "
	transcript "$root" "$@" | sed "s|$tmp|TMP|g" >"$tmp/got"
	if [[ $args == *" --json "* ]] && ! jq -e . "$tmp/out" >/dev/null 2>&1; then
		bad "$name" "--json output is not JSON"
		return
	fi
	compare_golden "$name"
}

# The machine: a root port (group 1), a network card (group 2), and a GPU
# with its HDMI audio in slot 26:00 (group 15), both on vfio-pci, as the
# agent left them; the GPU is the boot VGA device.
DEV_GPU=$(st_dev 0000:26:00.0 10de:1f08 030000 15 recovered nouveau vfio-pci \
	10de:1f08@26:00.0 '' true)
DEV_AUDIO=$(st_dev 0000:26:00.1 10de:10f9 040300 15 bound - vfio-pci 'group of 0000:26:00.0')
mk_base() {
	local r=$1
	tree_new "$r"
	tree_func "$r" 0000:00:01.0 8086:1901 060400 1 pcieport
	tree_func "$r" 0000:03:00.0 8086:10d3 020000 2 e1000e
	tree_func "$r" 0000:26:00.0 10de:1f08 030000 15 vfio-pci 1
	tree_func "$r" 0000:26:00.1 10de:10f9 040300 15 vfio-pci
	tree_node "$r" 15
	st_write "$r" "$DEV_GPU" "$DEV_AUDIO"
}
# variant NAME: a copy of the base tree, its path on stdout.
variant() {
	cp -a "$tmp/base" "$tmp/$1"
	echo "$tmp/$1"
}

mk_base "$tmp/base"
if jq -e -f "$here/../state-schema.jq" "$tmp/base/run/pt/state.json" >/dev/null; then
	ok "fixture state file passes tests/state-schema.jq"
else
	bad "fixture state file" "fails tests/state-schema.jq"
fi

# ---- all well -------------------------------------------------------------------------
check ok-status "$tmp/base"
check ok-status-json "$tmp/base" --json
check ok-groups "$tmp/base" groups
check ok-groups-json "$tmp/base" groups --json
check ok-qemu-args "$tmp/base" qemu-args
check ok-qemu-args-options "$tmp/base" qemu-args --x-vga --one-line --bus rp0 --first-slot 0
check ok-qemu-args-json "$tmp/base" qemu-args --json --first-slot 0x3

# QEMU 7.2 must accept the arguments: it gets as far as looking for the
# host device, which is past parsing every property and finding the bus.
if command -v qemu-system-x86_64 >/dev/null; then
	mapfile -t qargs < <("$bin" --sysroot "$tmp/base" qemu-args --x-vga | tr ' ' '\n')
	qerr=$(timeout 20 qemu-system-x86_64 -M q35 -nodefaults -display none -S \
		"${qargs[@]}" 2>&1 </dev/null || true)
	if [[ $qerr == *"vfio /sys/bus/pci/devices/0000:26:00.0: no such host device"* ]]; then
		ok "qemu-system-x86_64 accepts the qemu-args output"
	else
		bad "qemu-system-x86_64 rejects the qemu-args output" "$qerr"
	fi
else
	echo "SKIP qemu-system-x86_64 not installed"
fi

# ---- no pci.ids: numeric ids ------------------------------------------------------------
r=$(variant numeric)
rm "$r/usr/share/misc/pci.ids"
check numeric-status "$r"
check numeric-groups "$r" groups

# ---- names pci.ids lacks: a subclass (the base class is named), a vendor -----------------
r=$(variant unknown-names)
tree_func "$r" 0000:00:1f.0 8086:1902 068000 1
tree_func "$r" 0000:05:00.0 1d0f:ec20 ff0000 5
check unknown-names-groups "$r" groups

# ---- a broken pci.ids: names are left out, the report is not ----------------------------
r=$(variant bad-pci-ids)
printf '10de  NVIDIA Corporation\n\tzz  not a device\n' >"$r/usr/share/misc/pci.ids"
check bad-pci-ids-status "$r"

# ---- a group blocked by a foreign device ------------------------------------------------
r=$(variant blocked)
tree_func "$r" 0000:27:00.0 1b21:2142 0c0330 15 xhci_hcd
ST_POLICY=warn ST_WARNINGS='["IOMMU group 15 cannot be handed to a guest as it is: it also holds 0000:27:00.0 (1b21:2142, xhci_hcd); bound anyway (pt.group=warn)"]' \
	ST_GROUPS='[{"group":15,"viable":false,"members":["0000:26:00.0","0000:26:00.1","0000:27:00.0"],"blockers":[{"addr":"0000:27:00.0","vendor":"1b21","device":"2142","class":"0c0330","driver":"xhci_hcd","reason":"host driver"}]}]' \
	st_write "$r" "$DEV_GPU" "$DEV_AUDIO"
check blocked-status "$r"
check blocked-status-json "$r" --json
check blocked-groups "$r" groups
check blocked-qemu-args "$r" qemu-args

# ---- the same under pt.group=auto: the agent refused the group ------------------------
# ---- a driverless peer of another slot: fine for the kernel now, not at boot -------------
# The kernel's rule lets the group go now (the peer has no driver); pt-agent
# at the next boot would refuse it (the peer's driver comes later). groups
# must not call it "as it is", and says what the group is.
r=$(variant driverless-peer)
tree_func "$r" 0000:27:00.0 1b21:2142 0c0330 15
st_write "$r" "$DEV_GPU" "$DEV_AUDIO"
check driverless-peer-groups "$r" groups
check driverless-peer-suggest "$r" suggest 26:00.0
check driverless-peer-suggest-json "$r" --json suggest 10de:1f08

r=$(variant blocked-auto)
tree_func "$r" 0000:27:00.0 1b21:2142 0c0330 15 xhci_hcd
tree_bind "$r" 0000:26:00.0 nouveau
tree_bind "$r" 0000:26:00.1 snd_hda_intel
rm "$r/dev/vfio/15"
why='IOMMU group 15 is not viable: it also holds 0000:27:00.0 (1b21:2142, xhci_hcd)'
ST_RESULT=failed ST_ERRORS='["IOMMU group 15 also holds 0000:27:00.0 (1b21:2142, xhci_hcd): list it too, or move the card to another slot (pt.group=warn binds anyway); nothing in this group was bound"]' \
	ST_GROUPS='[{"group":15,"viable":false,"members":["0000:26:00.0","0000:26:00.1","0000:27:00.0"],"blockers":[{"addr":"0000:27:00.0","vendor":"1b21","device":"2142","class":"0c0330","driver":"xhci_hcd","reason":"host driver"}]}]' \
	st_write "$r" \
	"$(st_dev 0000:26:00.0 10de:1f08 030000 15 skipped nouveau nouveau 10de:1f08@26:00.0 "$why" true)" \
	"$(st_dev 0000:26:00.1 10de:10f9 040300 15 skipped snd_hda_intel snd_hda_intel \
		'group of 0000:26:00.0' "$why")"
check blocked-auto-status "$r"

# ---- a state file from an earlier boot: the agent did not run ---------------------------
r=$(variant stale)
tree_bind "$r" 0000:26:00.0 nouveau
tree_bind "$r" 0000:26:00.1 snd_hda_intel
rm "$r/dev/vfio/15"
ST_BOOT_ID=6b1d7a0e-3c2f-4d8e-8f41-0a9b2c7d5e13 st_write "$r" "$DEV_GPU" "$DEV_AUDIO"
check stale-status "$r"
check stale-status-json "$r" --json

# ---- a device gone from the bus ---------------------------------------------------------
r=$(variant gone)
tree_remove "$r" 0000:26:00.1
check gone-status "$r"

# ---- a device back on its host driver ---------------------------------------------------
r=$(variant host-driver)
tree_bind "$r" 0000:26:00.0 nouveau
check host-driver-status "$r"

# ---- a non-vfio driver (pci-stub) on a listed device ------------------------------------
r=$(variant pci-stub)
tree_bind "$r" 0000:26:00.1 pci-stub
check pci-stub-status "$r"

# ---- the agent failed to bind one; it went back to its driver ---------------------------
r=$(variant agent-failed)
tree_bind "$r" 0000:26:00.0 nouveau
ST_RESULT=partial ST_ERRORS='["0000:26:00.0: unbind from nouveau timed out after 5000 ms; given back to nouveau"]' \
	st_write "$r" "$(st_dev 0000:26:00.0 10de:1f08 030000 15 released nouveau nouveau \
		10de:1f08@26:00.0 'unbind from nouveau timed out after 5000 ms' true)" "$DEV_AUDIO"
check agent-failed-status "$r"

# ---- a dry run --------------------------------------------------------------------------
r=$(variant dry-run)
tree_bind "$r" 0000:26:00.0 nouveau
tree_bind "$r" 0000:26:00.1 snd_hda_intel
rm "$r/dev/vfio/15"
ST_DRYRUN=true st_write "$r" \
	"$(st_dev 0000:26:00.0 10de:1f08 030000 15 planned nouveau nouveau 10de:1f08@26:00.0 '' true)" \
	"$(st_dev 0000:26:00.1 10de:10f9 040300 15 planned snd_hda_intel snd_hda_intel \
		'group of 0000:26:00.0')"
check dry-run-status "$r"

# ---- /dev/vfio/15 missing; an excluded device -------------------------------------------
r=$(variant node-missing)
rm "$r/dev/vfio/15"
ST_SPEC='26:00.*,!03:00.0' st_write "$r" "$DEV_GPU" "$DEV_AUDIO" \
	"$(st_dev 0000:03:00.0 8086:10d3 020000 2 skipped e1000e e1000e '!03:00.0' \
		"excluded by '!03:00.0'")"
check node-missing-status "$r"

# ---- a user who cannot open /dev/vfio/15 (needs root to become nobody) -----------------
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod 0755 "$tmp"
	# The memory-lock limit as a default system sets it (8 MiB), whatever
	# this machine's: the report depends on it for a user who is not root.
	RUNAS=(prlimit --memlock=8388608:8388608 setpriv --reuid=65534 --regid=65534 --clear-groups)
	check node-access-status "$tmp/base"
	chmod 0666 "$tmp/base/dev/vfio/15"
	check memlock-unknown-status "$tmp/base"
	check memlock-short-status "$tmp/base" --memory 2G
	chmod 0660 "$tmp/base/dev/vfio/15"
	RUNAS=()
	check memlock-root-status "$tmp/base" --memory 64G
else
	echo "SKIP node-access-status (needs root and setpriv)"
fi

# ---- no state file ----------------------------------------------------------------------
r=$(variant missing)
rm "$r/run/pt/state.json"
check missing-status "$r"
check missing-status-json "$r" --json
check missing-groups "$r" groups
check missing-qemu-args "$r" qemu-args

# ---- corrupt and hostile state files ----------------------------------------------------
r=$(variant corrupt)
head -c 300 "$tmp/base/run/pt/state.json" >"$r/run/pt/state.json"
check corrupt-status "$r"
check corrupt-status-json "$r" --json
check corrupt-qemu-args "$r" qemu-args

r=$(variant hostile-addr)
st_write "$r" "$(st_dev ../../etc/x 10de:1f08 030000 15 bound - vfio-pci)"
check hostile-addr-status "$r"

r=$(variant hostile-schema)
jq -c '.schema = 2' "$tmp/base/run/pt/state.json" >"$r/run/pt/state.json"
check hostile-schema-status "$r"

r=$(variant hostile-type)
jq '.devices[1].iommu_group = "15"' "$tmp/base/run/pt/state.json" >"$r/run/pt/state.json"
check hostile-type-status "$r"

r=$(variant hostile-node)
jq '.devices[0].vfio_node = "/dev/vfio/../../etc/shadow"' "$tmp/base/run/pt/state.json" \
	>"$r/run/pt/state.json"
check hostile-node-status "$r"

r=$(variant hostile-deep)
{
	printf '{"schema":1,"x":'
	printf '[%.0s' $(seq 40)
	printf ']%.0s' $(seq 40)
	printf '}\n'
} >"$r/run/pt/state.json"
check hostile-deep-status "$r"

r=$(variant hostile-utf8)
printf '{"schema":1,"agent":"0.1\xc0\xaf"}\n' >"$r/run/pt/state.json"
check hostile-utf8-status "$r"

r=$(variant hostile-huge)
head -c 1100000 /dev/zero | tr '\0' ' ' >"$r/run/pt/state.json"
check hostile-huge-status "$r"

r=$(variant hostile-symlink)
rm "$r/run/pt/state.json"
ln -s ../../etc/passwd "$r/run/pt/state.json"
check hostile-symlink-status "$r"

# A state file someone else owns is not pt-agent's: not read.
if [ "$(id -u)" = 0 ]; then
	r=$(variant hostile-owner)
	chown 65534:65534 "$r/run/pt/state.json"
	check hostile-owner-status "$r"
fi

# Terminal escapes in the agent's texts are shown, not obeyed.
r=$(variant hostile-escape)
ST_RESULT=partial ST_ERRORS="$(jq -cn --arg e $'evil\e]0;owned\a\e[2J text\xc2\x9b' '[$e]')" \
	st_write "$r" "$(st_dev 0000:26:00.0 10de:1f08 030000 15 failed nouveau - \
		10de:1f08@26:00.0 $'\e[31mred\e[0m' true)" "$DEV_AUDIO"
tree_bind "$r" 0000:26:00.0 ""
check hostile-escape-status "$r"

# ---- no IOMMU ---------------------------------------------------------------------------
r=$(variant no-iommu)
rm -rf "$r/sys/kernel/iommu_groups"/*
rm "$r"/sys/devices/pci0000:00/*/iommu_group
check no-iommu-groups "$r" groups
check no-iommu-status "$r"

# ---- usage ------------------------------------------------------------------------------
check usage-help "$tmp/base" --help
check usage-unknown-option "$tmp/base" --frobnicate
check usage-unknown-command "$tmp/base" frobnicate
check usage-qemu-option-elsewhere "$tmp/base" --bus pcie.0
check usage-bad-bus "$tmp/base" qemu-args --bus 'pcie.0,x-foo=1'
check usage-bad-slot "$tmp/base" qemu-args --first-slot 32
check usage-bad-wait "$tmp/base" --wait soon
check usage-wait-groups "$tmp/base" groups --wait 1

# ---- --wait -----------------------------------------------------------------------------
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# timed NAME MIN_MS MAX_MS ROOT ARGS...: check, and the time it took.
timed() {
	local name=$1 min=$2 max=$3 t0 t
	shift 3
	t0=$(now_ms)
	check "$name" "$@"
	t=$(($(now_ms) - t0))
	if [ "$t" -ge "$min" ] && [ "$t" -le "$max" ]; then
		ok "$name took ${min}-${max} ms"
	else
		bad "$name" "took $t ms, expected ${min}-${max} ms"
	fi
}

timed wait-bound 0 900 "$tmp/base" --wait 1
timed wait-timeout 1000 3000 "$tmp/host-driver" --wait 1
timed wait-timeout-stale 1000 3000 "$tmp/stale" --wait 1
timed wait-no-state 1000 3000 "$tmp/missing" --wait 1

# The state file appears while pt-status waits.
r=$(variant late)
mv "$r/run/pt/state.json" "$tmp/late-state.json"
(
	sleep 0.5
	cp "$tmp/late-state.json" "$r/run/pt/.state.json.tmp"
	mv "$r/run/pt/.state.json.tmp" "$r/run/pt/state.json"
) &
timed wait-late-state 400 4000 "$r" --wait 5 qemu-args
wait

# ---- real machines' published IOMMU groups (tests/status/machines/) ---------------------
# For each: pt-status groups; suggest for the device the machine is about;
# pt-agent's dry-run plans for it by id, by slot and pinned, under each group
# policy. Its pt-agent is the one beside this pt-status.
agent=$(dirname "$bin")/pt-agent
for m in "$here"/machines/*.machine; do
	name=machine-$(basename "$m" .machine)
	r=$tmp/$name
	tree_machine "$r" "$m"
	{
		transcript "$r" groups
		while read -r what arg; do
			case $what in
			suggest) transcript "$r" suggest "$arg" ;;
			plan)
				echo "\$ pt-agent --dry-run --cmdline '$arg'"
				rc=0
				"$agent" --sysroot "$r" --cmdline "$arg" --dry-run >"$tmp/out" 2>&1 || rc=$?
				grep -v '^Module ' "$tmp/out" || true
				echo "--- exit $rc"
				;;
			esac
		done <"$m"
	} | sed "s|$tmp|TMP|g" >"$tmp/got"
	compare_golden "$name"
done

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]

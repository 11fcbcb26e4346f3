# shellcheck shell=bash
# tree.sh — fixture trees for pt-status, laid out like the parts of a real
# system it reads (as tests/fixture/fx.c builds them for pt-agent):
#
#   sys/bus/pci/devices/ADDR -> ../../../devices/pci0000:00/ADDR
#   sys/devices/pci0000:00/ADDR/{vendor,device,subsystem_*,class,modalias,
#       driver_override,boot_vga}, driver -> bus/pci/drivers/D,
#       iommu_group -> kernel/iommu_groups/N
#   sys/kernel/iommu_groups/N/devices/ADDR -> the device
#   proc/sys/kernel/random/boot_id, dev/vfio/{vfio,N}, run/pt/state.json,
#   etc/passwd and etc/group (the owner of the tree's files, named "owner"
#   and "owners" so that output does not depend on who runs the tests),
#   usr/share/misc/pci.ids (a tiny one).
#
# Source it; every function takes the tree's root first.

TREE_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TREE_BOOT_ID=0f3c1a52-8e0b-4c2e-9a53-2f8e1c9b7d10

# tree_new ROOT: an empty bus, the IOMMU on, /dev/vfio/vfio, names.
tree_new() {
	local r=$1
	mkdir -p "$r/sys/bus/pci/devices" "$r/sys/bus/pci/drivers" "$r/sys/devices/pci0000:00" \
		"$r/sys/kernel/iommu_groups" "$r/proc/sys/kernel/random" "$r/dev/vfio" \
		"$r/run" "$r/etc" "$r/usr/share/misc"
	echo "$TREE_BOOT_ID" >"$r/proc/sys/kernel/random/boot_id"
	echo "${TREE_OSRELEASE-6.1.0-13-amd64}" >"$r/proc/sys/kernel/osrelease"
	if [ -z "${TREE_OSRELEASE-x}" ]; then rm "$r/proc/sys/kernel/osrelease"; fi
	: >"$r/dev/vfio/vfio"
	chmod 0666 "$r/dev/vfio/vfio"
	printf 'owner:x:%s:%s::/:/bin/false\n' "$(id -u)" "$(id -g)" >"$r/etc/passwd"
	printf 'owners:x:%s:\n' "$(id -g)" >"$r/etc/group"
	cp "$TREE_HERE/pci.ids" "$r/usr/share/misc/pci.ids"
}

# tree_func ROOT ADDR VENDOR:DEVICE CLASS GROUP [DRIVER] [BOOT_VGA] [SUBVENDOR:SUBDEVICE]
# A PCI function (subsystem ids = vendor:device unless given). GROUP "-": no
# IOMMU group. Its config space holds the ids and the header type (1 for a
# PCI-to-PCI bridge, 2 for CardBus, else 0), the first 64 bytes as an
# unprivileged reader gets them.
tree_func() {
	local r=$1 addr=$2 id=$3 class=$4 group=$5 driver=${6:-} vga=${7:-0} sub=${8:-$3}
	local v=${id%%:*} d=${id##*:} cls=${class^^} dir hdr=00
	local sv=${sub%%:*} sd=${sub##*:}
	dir=$r/sys/devices/pci0000:00/$addr
	mkdir -p "$dir"
	printf '0x%s\n' "$v" >"$dir/vendor"
	printf '0x%s\n' "$d" >"$dir/device"
	printf '0x%s\n' "$sv" >"$dir/subsystem_vendor"
	printf '0x%s\n' "$sd" >"$dir/subsystem_device"
	printf '0x%s\n' "$class" >"$dir/class"
	printf 'pci:v0000%sd0000%ssv0000%ssd0000%sbc%ssc%si%s\n' "${v^^}" "${d^^}" "${sv^^}" \
		"${sd^^}" "${cls:0:2}" "${cls:2:2}" "${cls:4:2}" >"$dir/modalias"
	case ${class:0:4} in
	0604 | 0609) hdr=01 ;;
	0607) hdr=02 ;;
	esac
	{
		# shellcheck disable=SC2059 # the bytes are the format: hex escapes
		printf "\\x${v:2:2}\\x${v:0:2}\\x${d:2:2}\\x${d:0:2}"
		head -c 10 /dev/zero
		# shellcheck disable=SC2059
		printf "\\x$hdr"
		head -c 49 /dev/zero
	} >"$dir/config"
	echo '(null)' >"$dir/driver_override"
	if [ "${class:0:4}" = 0300 ]; then
		echo "$vga" >"$dir/boot_vga"
	fi
	ln -s "../../../devices/pci0000:00/$addr" "$r/sys/bus/pci/devices/$addr"
	if [ "$group" != - ]; then
		mkdir -p "$r/sys/kernel/iommu_groups/$group/devices"
		ln -s "../../../kernel/iommu_groups/$group" "$dir/iommu_group"
		ln -s "../../../../devices/pci0000:00/$addr" \
			"$r/sys/kernel/iommu_groups/$group/devices/$addr"
	fi
	if [ -n "$driver" ]; then
		tree_bind "$r" "$addr" "$driver"
	fi
}

# tree_bind ROOT ADDR DRIVER: (re)bind; DRIVER "" unbinds.
tree_bind() {
	local r=$1 addr=$2 driver=$3 dir
	dir=$r/sys/devices/pci0000:00/$addr
	rm -f "$dir/driver" "$r"/sys/bus/pci/drivers/*/"$addr"
	if [ -n "$driver" ]; then
		mkdir -p "$r/sys/bus/pci/drivers/$driver"
		ln -s "../../../bus/pci/drivers/$driver" "$dir/driver"
		ln -s "../../../../devices/pci0000:00/$addr" "$r/sys/bus/pci/drivers/$driver/$addr"
	fi
}

# tree_remove ROOT ADDR: the function leaves the bus.
tree_remove() {
	local r=$1 addr=$2
	rm -f "$r/sys/bus/pci/devices/$addr" "$r"/sys/bus/pci/drivers/*/"$addr" \
		"$r"/sys/kernel/iommu_groups/*/devices/"$addr"
	rm -rf "$r/sys/devices/pci0000:00/$addr"
}

# tree_node ROOT GROUP [MODE]: /dev/vfio/GROUP (a plain file in a fixture).
tree_node() {
	local r=$1 group=$2 mode=${3:-0660}
	: >"$r/dev/vfio/$group"
	chmod "$mode" "$r/dev/vfio/$group"
}

# st_dev ADDR VENDOR:DEVICE CLASS GROUP ACTION BEFORE AFTER [SELECTED_BY] [ERROR] [BOOT_VGA]
# One device of a state file (JSON on stdout). "-" or "" for null.
st_dev() {
	local addr=$1 id=$2 class=$3 group=$4 action=$5 before=$6 after=$7
	local by=${8:-$1} err=${9:-} vga=${10:-false}
	jq -cn --arg addr "$addr" --arg v "${id%%:*}" --arg d "${id##*:}" --arg class "$class" \
		--argjson group "$group" --arg action "$action" --arg before "$before" \
		--arg after "$after" --arg by "$by" --arg err "$err" --argjson vga "$vga" '
		def n: if . == "" or . == "-" then null else . end;
		{addr: $addr, vendor: $v, device: $d, subvendor: $v, subdevice: $d,
		 class: $class, iommu_group: $group, boot_vga: $vga, selected_by: $by,
		 driver_before: ($before | n), driver_after: ($after | n), action: $action,
		 error: ($err | n),
		 vfio_node: (if ($after | n) != null and ($after | test("vfio"))
			then "/dev/vfio/\($group)" else null end)}'
}

# st_write ROOT DEVICE_JSON...: write ROOT/run/pt/state.json. Settings:
#   ST_RESULT (ok), ST_SPEC (10de:1f08@26:00.0), ST_SOURCE (cmdline),
#   ST_BOOT_ID (the tree's), ST_POLICY (auto), ST_DRYRUN (false),
#   ST_ERRORS, ST_WARNINGS (JSON arrays, []), ST_GROUPS (JSON array;
#   default: one viable group per iommu_group of the devices).
st_write() {
	local r=$1
	shift
	mkdir -p "$r/run/pt"
	printf '%s\n' "$@" | jq -s \
		--arg result "${ST_RESULT:-ok}" --arg spec "${ST_SPEC:-10de:1f08@26:00.0}" \
		--arg source "${ST_SOURCE:-cmdline}" --arg boot "${ST_BOOT_ID:-$TREE_BOOT_ID}" \
		--arg policy "${ST_POLICY:-auto}" --argjson dryrun "${ST_DRYRUN:-false}" \
		--argjson errors "${ST_ERRORS:-[]}" --argjson warnings "${ST_WARNINGS:-[]}" \
		--argjson groups "${ST_GROUPS:-null}" '
		. as $devs |
		{schema: 1, agent: "0.1.0", boot_id: $boot, started_ms: 1200, finished_ms: 1203,
		 source: $source, spec: (if $spec == "" then null else $spec end),
		 options: {group: $policy, onfail: "release", fb: "auto", dryrun: $dryrun},
		 iommu: true,
		 modules: [{name: "vfio_iommu_type1", result: "loaded", error: null,
			    path: "/lib/modules/6.1.0-13-amd64/kernel/drivers/vfio/vfio_iommu_type1.ko"},
			   {name: "vfio_pci", result: "loaded", error: null,
			    path: "/lib/modules/6.1.0-13-amd64/kernel/drivers/vfio/pci/vfio-pci.ko"}],
		 devices: $devs,
		 groups: ($groups // ([$devs[] | select(.iommu_group != null)]
			| group_by(.iommu_group)
			| map({group: .[0].iommu_group, viable: true, members: map(.addr),
			       blockers: []}))),
		 errors: $errors, warnings: $warnings, result: $result}' \
		>"$r/run/pt/state.json"
}

# tree_machine ROOT FILE: a machine from tests/status/machines/NAME.machine:
#   osrelease RELEASE | osrelease -     (- : the file is missing)
#   fn GROUP ADDR VENDOR:DEVICE CLASS DRIVER|- [vga] [sub=SV:SD]
tree_machine() {
	local r=$1 file=$2 what group addr id class driver rest vga sub
	TREE_OSRELEASE="" tree_new "$r"
	cp "$TREE_HERE/machines/pci.ids" "$r/usr/share/misc/pci.ids"
	# For pt-agent --dry-run: vfio-pci and vfio_iommu_type1 count as loaded.
	mkdir -p "$r/sys/module/vfio_pci" "$r/sys/module/vfio_iommu_type1" \
		"$r/sys/bus/pci/drivers/vfio-pci"
	echo live >"$r/sys/module/vfio_pci/initstate"
	echo live >"$r/sys/module/vfio_iommu_type1/initstate"
	while read -r what group addr id class driver rest; do
		case $what in
		osrelease)
			if [ "$group" != - ]; then echo "$group" >"$r/proc/sys/kernel/osrelease"; fi
			;;
		fn)
			vga=0
			sub=$id
			for w in $rest; do
				case $w in
				vga) vga=1 ;;
				sub=*) sub=${w#sub=} ;;
				esac
			done
			[ "$driver" = - ] && driver=
			tree_func "$r" "$addr" "$id" "$class" "$group" "$driver" "$vga" "$sub"
			;;
		esac
	done <"$file"
}

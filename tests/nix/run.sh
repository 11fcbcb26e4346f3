#!/bin/bash
# tests/nix/run.sh — checks of the NixOS integration (nixos/). Debian's
# nix-bin parses every .nix file and evaluates the module's logic
# (nixos/lib.nix) and the module and the example against stubs
# (tests/nix/cases.nix); then, with ../shared/nixos-eval (nixpkgs' real lib
# and NixOS declarations; skipped, and said so, when absent), the module
# and the example under the real module system (tests/nix/real-cases.nix).
# The generated shell, units and grammar are checked with the tools that
# judge them (sh, shellcheck, systemd-analyze, and the agent's own parser
# in agent/spec.c).
#
# Usage: tests/nix/run.sh        (as root it installs nix-bin and jq if missing)
#
# Prints one line per test and ends with "N passed, M failed"; exits 1 when
# a test failed.
set -eu -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

passed=0
failed=0
pass() {
	echo "ok   $1"
	passed=$((passed + 1))
}
fail() {
	echo "FAIL $1${2:+: $2}"
	failed=$((failed + 1))
}
skip() {
	echo "skip $1 ($2)"
}

# ---- prerequisites -------------------------------------------------------------
# apt-get, retried while another process holds apt's or dpkg's lock.
apt_retry() {
	local try out
	for try in $(seq 1 60); do
		if out=$(DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=10 "$@" 2>&1); then
			return 0
		fi
		if ! grep -qiE 'could not get lock|unable to acquire|lock-frontend|is another process using it' <<<"$out"; then
			echo "$out" >&2
			return 1
		fi
		echo "run.sh: apt is busy (try $try of 60); waiting" >&2
		sleep 5
	done
	echo "$out" >&2
	return 1
}

missing=()
command -v nix-instantiate >/dev/null || missing+=(nix-bin)
command -v jq >/dev/null || missing+=(jq)
if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "run.sh: missing ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
		exit 1
	fi
	echo "run.sh: installing ${missing[*]}" >&2
	apt_retry update -qq
	apt_retry install -y -qq "${missing[@]}"
fi

# ---- a private Nix store and state -------------------------------------------------
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/store" "$tmp/state" "$tmp/log" "$tmp/conf" "$tmp/cache"
printf 'build-users-group =\nsandbox = false\n' >"$tmp/conf/nix.conf"
export NIX_STORE_DIR="$tmp/store" NIX_STATE_DIR="$tmp/state" NIX_LOG_DIR="$tmp/log"
export NIX_CONF_DIR="$tmp/conf" XDG_CACHE_HOME="$tmp/cache" NIX_PATH=

# Evaluate EXPR (a function of { root }) and print the result as JSON.
nix_eval() {
	nix-instantiate --eval --strict --json --argstr root "$root" -E "$1"
}
# The same, for a string result: print the string itself.
nix_text() {
	nix_eval "$1" | jq -r .
}

# ---- every .nix file parses ----------------------------------------------------------
while IFS= read -r -d '' f; do
	rel=${f#"$root"/}
	if err=$(nix-instantiate --parse "$f" 2>&1 >/dev/null); then
		pass "parse $rel"
	else
		fail "parse $rel" "$err"
	fi
done < <(find "$root/nixos" "$here" -name '*.nix' -type f -print0 | sort -z)

# ---- evaluation tests (tests/nix/cases.nix) ----------------------------------------------
if nix-instantiate --eval --strict --json "$here/cases.nix" >"$tmp/cases.json" 2>"$tmp/cases.err"; then
	while IFS=$'\t' read -r ok name detail; do
		if [ "$ok" = true ]; then
			pass "$name"
		else
			fail "$name" "$detail"
		fi
	done < <(jq -r '.[] | [(.ok | tostring), .name, .detail] | @tsv' "$tmp/cases.json")
else
	fail "evaluate tests/nix/cases.nix" "$(head -c 3000 "$tmp/cases.err")"
fi

# ---- lib.nix's version is the Makefile's ---------------------------------------------------
make_version=$(sed -n 's/^VERSION := *//p' "$root/Makefile")
nix_version=$(nix_text '{ root }: (import (root + "/nixos/lib.nix")).version')
if [ -n "$make_version" ] && [ "$make_version" = "$nix_version" ]; then
	pass "version: nixos/lib.nix and Makefile agree ($nix_version)"
else
	fail "version: nixos/lib.nix and Makefile agree" "lib.nix $nix_version, Makefile $make_version"
fi

# ---- generated shell ---------------------------------------------------------------------
lib='(import (root + "/nixos/lib.nix"))'
nix_text "{ root }: $lib.scriptedCommands \"/nix/store/x-pt-static/bin/pt-agent\"" >"$tmp/pre-device.sh"
if err=$(sh -n "$tmp/pre-device.sh" 2>&1); then
	pass "scripted stage 1: preDeviceCommands fragment is valid sh"
else
	fail "scripted stage 1: preDeviceCommands fragment is valid sh" "$err"
fi
if command -v shellcheck >/dev/null; then
	if err=$(shellcheck -s sh "$tmp/pre-device.sh" 2>&1); then
		pass "scripted stage 1: shellcheck (sh)"
	else
		fail "scripted stage 1: shellcheck (sh)" "$err"
	fi
else
	skip "shellcheck of generated scripts" "shellcheck not installed"
fi
# ---- a VM file the module writes, read by the real pt-vm ---------------------------------
# One parser: the file vmConfText makes must be one pt-vm accepts, key by key.
ptvm=${PT_VM:-$root/build/pt-vm}
if [ -x "$ptvm" ]; then
	nix_text "{ root }: $lib.vmConfText \"win\" { devices = \"10de:1c03, 10de:10f1\"; waitSeconds = 30; memory = 8192; cpus = 4; machine = \"pc\"; xVga = true; qemu = \"/bin/qemu\"; firmware = \"ovmf\"; ovmfCode = \"/o/OVMF_CODE.fd\"; ovmfVarsTemplate = \"/o/OVMF_VARS.fd\"; usb = [ \"046d:c539\" \"0416\" ]; disks = [ \"/dev/disk/by-id/ata-WIN\" ]; user = \"root\"; qemuArgs = [ \"-cpu\" \"host\" \"-name\" \"it's a VM\" ]; }" >"$tmp/win.conf"
	mkdir -p "$tmp/vmroot"
	cp "$tmp/win.conf" "$tmp/vmroot/win.conf"
	got=$("$ptvm" --sysroot "$tmp/vmroot" --config /win.conf args win 2>&1 || true)
	if grep -q '^/bin/qemu -name win -machine pc,accel=kvm -m 8192M -smp 4 ' <<<"$got" &&
		grep -qF "'it'\\''s a VM'" <<<"$got" && ! grep -q 'not used\|line [0-9]' <<<"$got"; then
		pass "VM file: the real pt-vm reads the module's file (no error; memory, cpus, machine, extra)"
	else
		fail "VM file: the real pt-vm reads the module's file" "${got//$'\n'/ | }"
	fi
else
	skip "VM file read by pt-vm" "no $ptvm (make)"
fi

# ---- the initrd unit, as systemd reads it --------------------------------------------------
if command -v systemd-analyze >/dev/null; then
	mkdir -p "$tmp/unit"
	nix_text "{ root }: $lib.unitText \"/bin/true\"" >"$tmp/unit/pt-agent.service"
	if err=$(systemd-analyze verify --man=no "$tmp/unit/pt-agent.service" 2>&1) && [ -z "$err" ]; then
		pass "systemd stage 1: unit passes systemd-analyze verify"
	else
		fail "systemd stage 1: unit passes systemd-analyze verify" "$err"
	fi
else
	skip "systemd-analyze verify of the unit" "systemd-analyze not installed"
fi

# ---- the grammar against agent/spec.c ------------------------------------------------------
cc=$(command -v cc || command -v gcc || true)
if [ -n "$cc" ] && [ -f "$root/agent/spec.c" ]; then
	if err=$("$cc" -std=gnu11 -D_GNU_SOURCE -I"$root/agent" -o "$tmp/spec-check" \
		"$here/spec-check.c" "$root/agent/spec.c" "$root/agent/util.c" 2>&1); then
		# shellcheck disable=SC2016 # ${...} is Nix, not shell
		nix_eval '{ root }:
			let
			  g = import (root + "/tests/nix/grammar.nix");
			  l = import (root + "/nixos/lib.nix");
			  texts = map (c: c.text) (g.entries ++ g.lists) ++ g.generated;
			in map (t: let r = l.parseList t; in {
			  text = t;
			  verdict = if r.valid then "ok ${toString (builtins.length r.entries)}" else "err";
			}) texts' >"$tmp/grammar.json"
		jq -j '.[] | .text + "\u0000"' "$tmp/grammar.json" | "$tmp/spec-check" | sed 's/^err .*/err/' >"$tmp/c.txt"
		jq -r '.[] | .verdict' "$tmp/grammar.json" >"$tmp/nix.txt"
		total=$(wc -l <"$tmp/nix.txt")
		if [ "$(wc -l <"$tmp/c.txt")" -ne "$total" ]; then
			fail "grammar: agent/spec.c and lib.nix agree" "spec-check gave $(wc -l <"$tmp/c.txt") results for $total lists"
		else
			differ=$(paste -d '\t' "$tmp/nix.txt" "$tmp/c.txt" |
				jq -R -s --slurpfile t "$tmp/grammar.json" '
					split("\n")[:-1] | to_entries
					| map(select((.value | split("\t")) as $v | $v[0] != $v[1]))
					| map("\($t[0][.key].text | tojson): lib.nix \(.value | split("\t")[0]), spec.c \(.value | split("\t")[1])")
					| .[:5] | join("; ")' -r)
			if [ -z "$differ" ]; then
				pass "grammar: agent/spec.c and lib.nix agree on all $total lists"
			else
				fail "grammar: agent/spec.c and lib.nix agree" "$differ"
			fi
		fi
	else
		fail "grammar: build tests/nix/spec-check.c with agent/spec.c" "$err"
	fi
else
	skip "grammar: agent/spec.c and lib.nix agree" "no C compiler"
fi

# ---- NixOS under nixpkgs' real module system (tests/nix/real-cases.nix) -------------------
# ../shared/nixos-eval (beside the clone; CI has it) holds nixpkgs' real lib
# and the real declarations of the NixOS options the module uses.
eval_dir=$(cd "$root/.." && pwd)/shared/nixos-eval
if [ ! -f "$eval_dir/nixpkgs-lib/lib/default.nix" ] || [ ! -f "$eval_dir/declarations.nix" ]; then
	skip "NixOS under nixpkgs' real module system" "$eval_dir is absent: it holds nixpkgs' lib and the NixOS declarations (CI puts shared/ beside the clone); the other checks, with stand-ins for nixpkgs, still run"
else
	# An altered copy of nixos/ in $tmp/mutants/NAME/nixos: FILE with the
	# text FROM replaced by TO (the test fails if FROM is not there).
	mutant() {
		local name=$1 file=$2 from=$3 to=$4 dir="$tmp/mutants/$1" text new
		mkdir -p "$dir"
		cp -r "$root/nixos" "$dir/"
		text=$(<"$dir/nixos/$file")
		new=${text/"$from"/"$to"}
		if [ "$new" = "$text" ]; then
			fail "mutant $name: the text to alter is not in nixos/$file (update tests/nix/run.sh)"
			return 0
		fi
		printf '%s\n' "$new" >"$dir/nixos/$file"
	}
	mutant misspelt-option module.nix \
		'boot.initrd.systemd.services.pt-agent =' 'boot.initrd.systemd.service.pt-agent ='
	mutant wrong-type-in-module module.nix \
		'environment.systemPackages = [ cfg.package ];' 'environment.systemPackages = cfg.package;'
	mutant pre-device-commands-under-systemd module.nix \
		'(lib.mkIf (!systemdStage1) {' '(lib.mkIf true {'
	# The group membership as the module gave it before issue 15.
	# shellcheck disable=SC2016 # Nix text, not shell
	mutant undeclared-vm-user-before-fix module.nix '        users.groups = lib.mkMerge [
          { ${cfg.vfioGroup}.members = newMembers cfg.vfioGroup (cfg.vfioUsers ++ vmUsers); }
          { kvm.members = newMembers "kvm" vmUsers; }
        ];' '        users.groups.${cfg.vfioGroup} = { };
        users.users =
          lib.genAttrs cfg.vfioUsers (_: {
            extraGroups = [ cfg.vfioGroup ];
          })
          // lib.genAttrs vmUsers (_: {
            extraGroups = [
              cfg.vfioGroup
              "kvm"
            ];
          });'
	mutant flake-import-before-fix flake.nix \
		'nixosModules.default = ./module.nix;' 'nixosModules.default = import ./module.nix;'

	real() {
		nix-instantiate --eval --strict --json --argstr evalDir "$eval_dir" --argstr mutants "$tmp/mutants" \
			--argstr cases "$here/real-cases.nix" \
			-E "{ evalDir, mutants, cases }: let r = import (/. + cases) { inherit evalDir mutants; }; in $1"
	}
	if real 'r.systems' >"$tmp/systems.json" 2>"$tmp/real.err"; then
		# Each configuration must evaluate as a build would force it.
		while IFS= read -r name; do
			if real "r.force \"$name\"" >/dev/null 2>"$tmp/force.err"; then
				pass "nixos-eval: configuration $name evaluates (assertions, warnings, every value the module defines)"
			else
				fail "nixos-eval: configuration $name evaluates" "$(head -c 3000 "$tmp/force.err")"
			fi
			while IFS= read -r want; do
				if grep -qF -- "$want" "$tmp/force.err"; then
					pass "nixos-eval: configuration $name warns: $want"
				else
					fail "nixos-eval: configuration $name warns: $want" "stderr: $(head -c 2000 "$tmp/force.err")"
				fi
			done < <(real "r.expectWarnings.\"$name\" or [ ]" | jq -r '.[]')
		done < <(jq -r '.[]' "$tmp/systems.json")

		# Values as NixOS merged them.
		if real 'r.tests' >"$tmp/real.json" 2>"$tmp/real.err"; then
			while IFS=$'\t' read -r ok name detail; do
				if [ "$ok" = true ]; then pass "$name"; else fail "$name" "$detail"; fi
			done < <(jq -r '.[] | [(.ok | tostring), .name, .detail] | @tsv' "$tmp/real.json")
		else
			fail "nixos-eval: evaluate tests/nix/real-cases.nix tests" "$(head -c 3000 "$tmp/real.err")"
		fi

		# Configurations that must fail, each with a readable message.
		while IFS= read -r name; do
			if real "r.forceBad \"$name\"" >/dev/null 2>"$tmp/bad.err"; then
				fail "nixos-eval: $name is refused" "it evaluated"
				continue
			fi
			missing_msg=()
			while IFS= read -r want; do
				grep -qF -- "$want" "$tmp/bad.err" || missing_msg+=("$want")
			done < <(real "r.bad.\"$name\".expect" | jq -r '.[]')
			if [ ${#missing_msg[@]} -eq 0 ]; then
				pass "nixos-eval: $name is refused: $(real "r.bad.\"$name\".expect" | jq -r 'join(" … ")')"
			else
				fail "nixos-eval: $name is refused with a readable message" "missing \"${missing_msg[*]}\" in: $(head -c 2000 "$tmp/bad.err")"
			fi
		done < <(real 'builtins.attrNames r.bad' | jq -r '.[]')

		# The units NixOS renders, as systemd reads them. Their Exec*= lines
		# name files in the private store: stand-ins for the packages (small
		# scripts, see standin-pkgs.nix) and the launcher scripts with the
		# text the module writes.
		if ! command -v systemd-analyze >/dev/null; then
			skip "nixos-eval: systemd-analyze verify of the rendered units" "systemd-analyze not installed"
		elif ! { real 'r.standins' >"$tmp/standins.json" && real 'r.files' >"$tmp/files.json" &&
			real 'r.units' >"$tmp/units.json"; } 2>"$tmp/units.err"; then
			fail "nixos-eval: render the units" "$(head -c 3000 "$tmp/units.err")"
		else
			jq -r '.[] | .dir as $d | .bins[] | $d + "/bin/" + .' "$tmp/standins.json" |
				while IFS= read -r f; do
					mkdir -p "$(dirname "$f")"
					printf '#!/bin/sh\nexit 0\n' >"$f"
					chmod +x "$f"
				done
			for i in $(seq 0 $(($(jq length "$tmp/files.json") - 1))); do
				f=$(jq -r ".[$i].path" "$tmp/files.json")
				jq -j ".[$i].text" "$tmp/files.json" | sed '1i #!/bin/bash' >"$f"
				chmod +x "$f"
				if command -v shellcheck >/dev/null; then
					if err=$(shellcheck -s bash "$f" 2>&1); then
						pass "nixos-eval: shellcheck VM launcher $((i + 1)) (${f#*-}) as the module writes it"
					else
						fail "nixos-eval: shellcheck VM launcher $((i + 1)) (${f#*-})" "$err"
					fi
				fi
			done
			for i in $(seq 0 $(($(jq length "$tmp/units.json") - 1))); do
				d="$tmp/units/$(jq -r ".[$i].dir" "$tmp/units.json")"
				mkdir -p "$d"
				jq -j ".[$i].text" "$tmp/units.json" >"$d/$(jq -r ".[$i].file" "$tmp/units.json")"
			done
			while IFS= read -r -d '' u; do
				rel=${u#"$tmp/units/"}
				if err=$(systemd-analyze verify --man=no "$u" 2>&1) && [ -z "$err" ]; then
					pass "nixos-eval: systemd-analyze verify $rel (as NixOS renders it)"
				else
					fail "nixos-eval: systemd-analyze verify $rel" "$err"
				fi
			done < <(find "$tmp/units" -name '*.service' -print0 | sort -z)
		fi
	else
		fail "nixos-eval: evaluate tests/nix/real-cases.nix" "$(head -c 3000 "$tmp/real.err")"
	fi
fi

# ---- the wait bound: lib.nix and pt-vm agree ----------------------------------------------
# waitSeconds becomes the VM file's "wait =", which pt-vm reads.
c_max=$(sed -n 's/^#define PT_VM_WAIT_MAX_S \([0-9]*\)u\{0,1\}$/\1/p' "$root/agent/vmconf.h")
nix_max=$(nix_text "{ root }: toString $lib.vmWaitMaxSeconds")
if [ -n "$c_max" ] && [ "$c_max" = "$nix_max" ]; then
	pass "VM services: waitSeconds' bound is pt-vm's wait = bound ($c_max s)"
else
	fail "VM services: waitSeconds' bound is pt-vm's wait = bound" "agent/vmconf.h PT_VM_WAIT_MAX_S '$c_max', nixos/lib.nix vmWaitMaxSeconds '$nix_max'"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

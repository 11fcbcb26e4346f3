#!/bin/bash
# layers.sh — no two files of agent/ call each other: for every X.c, the
# headers it includes (directly, or through the headers it includes) name
# the modules it uses; a module Y that uses X while X uses Y is a circle
# (sysfs.c and watch.c were one). Prints the circles; exit 1 if any.
set -eu -o pipefail
cd "$(dirname "$0")/../../agent"

# deps H: the agent headers H pulls in, transitively, one per line.
declare -A SEEN
deps() {
	local inc
	# shellcheck disable=SC2013 # one name per line, no blanks in them
	for inc in $(sed -n 's/^#include "\([a-z0-9_-]*\)\.h"$/\1/p' "$1"); do
		[ -n "${SEEN[$inc]:-}" ] && continue
		SEEN[$inc]=1
		echo "$inc"
		[ -f "$inc.h" ] && deps "$inc.h"
	done
	return 0
}

declare -A USES
for c in *.c; do
	m=${c%.c}
	SEEN=()
	USES[$m]=" $(deps "$c" | { grep -vx "$m" || true; } | tr '\n' ' ')"
done
bad=0
for a in "${!USES[@]}"; do
	for b in ${USES[$a]}; do
		[ -f "$b.c" ] || continue
		[[ "$a" < "$b" ]] || continue
		if [[ ${USES[$b]} == *" $a "* ]]; then
			echo "layers: agent/$a.c and agent/$b.c use each other"
			bad=1
		fi
	done
done
[ "$bad" = 0 ] && echo "layers: no two agent/ files use each other"
exit "$bad"

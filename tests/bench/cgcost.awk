# cgcost.awk — self and inclusive cost (Ir) per function over callgrind
# output files written with --compress-strings=no --compress-pos=no (so that
# each file names its functions in full): prints "self incl name" lines.
# A cost line right after "calls=" is the callee's inclusive cost: it counts
# for the caller's inclusive cost (unless the call is recursive), not its self.
/^fn=/ { fn = substr($0, 4); seen[fn] = 1; next }
/^calls=/ { call = 1; next }
/^[0-9+-]/ {
	if (NF < 2) next
	if (call) { call = 0; if (cfn != fn) incl[fn] += $2; next }
	self[fn] += $2; incl[fn] += $2; next
}
/^cfn=/ { cfn = substr($0, 5); next }
END { for (f in seen) printf "%d %d %s\n", self[f], incl[f], f }

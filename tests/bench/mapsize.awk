# mapsize.awk — bytes of a static link by origin, from a GNU ld map file
# (-Wl,-Map=FILE). Prints "BYTES ORIGIN KIND" lines: the input sections
# kept in the output (after --gc-sections), summed per archive (libkmod.a,
# libc.a, ...) or "pt" for the agent's own objects (crt: the C runtime's
# start files). KIND is "code" (text, rodata, data: in the file), "unwind"
# (.eh_frame: in the file, kept by strip) or "bss" (no bytes in the file).
function hex(s,   i, c, v) {
	v = 0
	s = tolower(s)
	sub(/^0x/, "", s)
	for (i = 1; i <= length(s); i++) {
		c = index("0123456789abcdef", substr(s, i, 1)) - 1
		v = v * 16 + c
	}
	return v
}
/^Linker script and memory map/ { on = 1; next }
!on { next }
/^\/DISCARD\// { exit }
{
	if ($0 ~ /^ [.A-Z][^ ]*$/) { pending = $1; next }
	if (pending != "" && $1 ~ /^0x/ && $2 ~ /^0x/ && NF >= 3) {
		sec = pending; size = hex($2); file = $3
	} else if ($0 ~ /^ [.A-Z]/ && $2 ~ /^0x/ && $3 ~ /^0x/ && NF >= 4) {
		sec = $1; size = hex($3); file = $4
	} else {
		pending = ""
		next
	}
	pending = ""
	if (size == 0) next
	lib = file
	sub(/\(.*/, "", lib)
	n = split(lib, p, "/")
	lib = p[n]
	if (file !~ /\(/ && lib ~ /\.o$/) lib = (lib ~ /^S?crt|^crt/) ? "crt" : "pt"
	kind = "code"
	if (sec ~ /^\.t?bss/ || sec == "COMMON") kind = "bss"
	else if (sec ~ /^\.eh_frame/) kind = "unwind"
	tot[lib " " kind] += size
}
END { for (l in tot) printf "%d %s\n", tot[l], l }

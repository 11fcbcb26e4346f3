# shellcheck shell=bash
# apt-sources.sh - the machine's own apt sources, for private apt runs that
# never touch /etc/apt.  Sourced by agent/static-deps.sh (deb-src lines for
# the library sources) and tests/e2e/kernel.sh (deb lines for another
# suite, Debian 13's kernel).  No host name is written anywhere: every URI
# comes from the machine's configuration.
#
#   system_sources                 the sources files apt reads, one a line
#   derive_deb_src KEYDIR FILE...  deb-src lines for their Debian archive
#                                  entries (same URIs, keyrings, suites)
#   derive_deb_suite SUITE KEYDIR FILE...
#                                  deb lines for SUITE from the same entries
#                                  (each release's main suite, not its
#                                  -updates/-security/-backports ones)

# Print deb-src lines for the system's enabled deb entries (one-line
# sources.list files and deb822 .sources files given as arguments).
#
# Only entries of the Debian archive itself are kept: those signed by a
# debian-archive keyring, or whose URI path ends in /debian or
# /debian-security (also a snapshot.debian.org style .../debian/TIMESTAMP).
# Third-party repositories (vendors' apt repos) often publish no sources and
# then make "apt-get update" fail, and our packages are not in them anyway.
# Embedded (inline) Signed-By keys are written to files under KEYDIR.
derive_deb_src() {
	awk -v keydir="$1" '
	function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
	function emit(uri, suite, comps, sb, tr,   kb, path, opts, line) {
		if (uri == "" || suite == "" || uri ~ /^cdrom:/)
			return
		kb = sb; sub(/.*\//, "", kb)
		path = uri; sub(/^[A-Za-z0-9+.-]+:(\/\/[^\/]*)?/, "", path)
		sub(/\/+$/, "", path)
		if (kb !~ /^debian-archive/ &&
		    path !~ /\/debian(-security)?$/ &&
		    path !~ /\/debian(-security)?\/[0-9]+T[0-9]+Z$/) {
			print "# skipped, not the Debian archive: " uri " " suite
			return
		}
		opts = ""
		if (sb != "") opts = "signed-by=" sb
		if (tr != "") opts = opts (opts == "" ? "" : " ") "trusted=" tr
		line = "deb-src " (opts == "" ? "" : "[" opts "] ") uri " " suite
		if (comps != "") line = line " " comps
		if (!(line in seen)) { seen[line] = 1; print line }
	}
	# A Signed-By value: a keyring path, fingerprints, or an inline key.
	function signed_by(v,   n, l, i, f) {
		v = trim(v)
		if (v !~ /\n/ && v !~ /BEGIN PGP/) {
			gsub(/[ \t,]+/, ",", v)
			return v
		}
		f = keydir "/inline-key-" (++nkeys) ".asc"
		n = split(v, l, "\n")
		for (i = 1; i <= n; i++) {
			l[i] = trim(l[i])
			if (l[i] == ".") l[i] = ""
			if (i > 1 || l[i] != "") print l[i] > f
		}
		close(f)
		return f
	}
	function flush(   i, j, nt, nu, ns, t, u, s, deb, sb, tr, en) {
		en = tolower(trim(F["enabled"]))
		deb = 0
		nt = split(F["types"], t, /[ \t]+/)
		for (i = 1; i <= nt; i++) if (t[i] == "deb") deb = 1
		if (deb && en != "no" && en != "false") {
			sb = ("signed-by" in F) ? signed_by(F["signed-by"]) : ""
			tr = trim(F["trusted"])
			nu = split(trim(F["uris"]), u, /[ \t\n]+/)
			ns = split(trim(F["suites"]), s, /[ \t\n]+/)
			for (i = 1; i <= nu; i++)
				for (j = 1; j <= ns; j++)
					emit(u[i], s[j], trim(F["components"]), sb, tr)
		}
		delete F
		key = ""
	}
	FNR == 1 { if (deb822) flush(); deb822 = (FILENAME ~ /\.sources$/) }
	deb822 {
		if ($0 ~ /^#/) next
		if ($0 ~ /^[ \t]*$/) { flush(); next }
		if ($0 ~ /^[ \t]/) { if (key != "") F[key] = F[key] "\n" $0; next }
		i = index($0, ":")
		if (i == 0) next
		key = tolower(trim(substr($0, 1, i - 1)))
		F[key] = trim(substr($0, i + 1))
		next
	}
	{
		line = $0; sub(/#.*/, "", line); line = trim(line)
		n = split(line, w, /[ \t]+/)
		if (w[1] != "deb") next
		i = 2; opts = ""
		if (w[2] ~ /^\[/) {
			for (; i <= n; i++) {
				opts = opts " " w[i]
				if (w[i] ~ /\]$/) { i++; break }
			}
			gsub(/[\[\]]/, " ", opts)
		}
		sb = ""; tr = ""
		m = split(trim(opts), o, /[ \t]+/)
		for (k = 1; k <= m; k++) {
			if (o[k] ~ /^signed-by=/) sb = substr(o[k], 11)
			if (o[k] ~ /^trusted=/) tr = substr(o[k], 9)
		}
		comps = ""
		for (k = i + 2; k <= n; k++) comps = comps (comps == "" ? "" : " ") w[k]
		emit(w[i], w[i + 1], comps, sb, tr)
	}
	END { if (deb822) flush() }
	' "${@:2}"
}

# The system's sources files, where apt itself reads them.  In the parts
# directory apt only reads *.list and *.sources files with plain names.
system_sources() {
	local sl sp f
	eval "$(apt-config shell sl Dir::Etc::SourceList/f sp Dir::Etc::SourceParts/d)"
	[ -f "$sl" ] && printf '%s\n' "$sl"
	for f in "$sp"*.list "$sp"*.sources; do
		[ -f "$f" ] || continue
		case ${f##*/} in
		*[!A-Za-z0-9_.-]*) continue ;;
		esac
		printf '%s\n' "$f"
	done
}

# Print "deb" lines for SUITE (e.g. trixie) from the Debian archive entries
# derive_deb_src finds: every entry of a release's main suite (no "-" in
# its name: bookworm, stable) becomes the same URI, keyring and components
# with SUITE instead.  The security archive has no such suite and is left
# out.
derive_deb_suite() {
	local suite=$1
	shift
	derive_deb_src "$@" | awk -v suite="$suite" '
	/^deb-src / {
		rest = substr($0, 9); opts = ""
		if (rest ~ /^\[/) {
			i = index(rest, "]")
			opts = substr(rest, 1, i) " "
			rest = substr(rest, i + 2)
		}
		n = split(rest, w, / +/)
		if (w[2] ~ /-/ || w[1] ~ /\/debian-security\/?$/) next
		line = "deb " opts w[1] " " suite
		for (k = 3; k <= n; k++) line = line " " w[k]
		if (!(line in seen)) { seen[line] = 1; print line }
	}'
}

#!/bin/bash
# section.sh FILE NAME — print the lines between "===PT-BEGIN NAME===" and
# "===PT-END NAME===" in FILE (a results or console log from boot.sh).
# Exit 1 if the section is missing or not terminated.
# section.sh FILE — list the names of the complete sections.
set -eu -o pipefail
if [ $# -lt 1 ] || [ $# -gt 2 ]; then echo "usage: section.sh FILE [NAME]" >&2; exit 2; fi
FILE=$1
# serial output has CRLF line ends
if [ $# -eq 1 ]; then
    tr -d '\r' <"$FILE" | sed -n 's/^===PT-END \(.*\)===$/\1/p'
    exit 0
fi
tr -d '\r' <"$FILE" | awk -v b="===PT-BEGIN $2===" -v e="===PT-END $2===" '
    $0 == b { on = 1; seen = 1; next }
    $0 == e && on { on = 0; done = 1; next }
    on { print }
    END { exit (seen && done) ? 0 : 1 }'

# Validate a pt state file against schema 1 (DESIGN.md "State file").
# Usage: jq -e -f tests/state-schema.jq /run/pt/state.json
# Prints true when valid; stops with an error naming the first problem.

def fail($m): error("state.json: " + $m);
def must(c; $m): if c then . else fail($m) end;
def exactly($want): (keys | sort) == ($want | sort);
def str_or_null: type == "string" or type == "null";
def hex($n): type == "string" and test("^[0-9a-f]{\($n)}$");
def hex_or_null($n): type == "null" or hex($n);
def addr: type == "string" and test("^[0-9a-f]{4}:[0-9a-f]{2}:[0-1][0-9a-f]\\.[0-7]$");
def strings: type == "array" and all(.[]; type == "string");

must(type == "object"; "not a JSON object")
| must(exactly(["schema", "agent", "boot_id", "started_ms", "finished_ms", "source", "spec",
                "options", "iommu", "modules", "devices", "groups", "errors", "warnings",
                "result"]); "top-level keys are \(keys)")
| must(.schema == 1; "schema is \(.schema), not 1")
| must(.agent | type == "string"; "agent is not a string")
| must(.boot_id | str_or_null; "boot_id")
| must((.started_ms | type == "number") and (.finished_ms | type == "number")
       and .finished_ms >= .started_ms; "started_ms/finished_ms")
| must(.source | IN("cmdline", "config", "none"); "source is \(.source)")
| must(.spec | str_or_null; "spec")
| must(.options | type == "object" and exactly(["group", "onfail", "fb", "dryrun"]);
       "options keys")
| must(.options.group | IN("auto", "strict", "warn"); "options.group")
| must(.options.onfail | IN("release", "keep"); "options.onfail")
| must(.options.fb | IN("auto", "release", "keep"); "options.fb")
| must(.options.dryrun | type == "boolean"; "options.dryrun")
| must(.iommu | type == "boolean"; "iommu")
| must(.modules | type == "array"; "modules")
| must(all(.modules[]; type == "object" and exactly(["name", "result", "error", "path"])
           and (.name | type == "string")
           and (.result | IN("loaded", "builtin", "already", "failed", "skipped"))
           and (.error | str_or_null)
           and (.path | str_or_null)); "a module entry is malformed")
| must(.devices | type == "array"; "devices")
| must(all(.devices[];
           type == "object"
           and exactly(["addr", "vendor", "device", "subvendor", "subdevice", "class",
                        "iommu_group", "boot_vga", "selected_by", "driver_before",
                        "driver_after", "action", "error", "vfio_node"])
           and (.addr | addr)
           and (.vendor | hex_or_null(4)) and (.device | hex_or_null(4))
           and (.subvendor | hex_or_null(4)) and (.subdevice | hex_or_null(4))
           and (.class | hex_or_null(6))
           and (.iommu_group | type == "null" or (type == "number" and . >= 0))
           and (.boot_vga | type == "boolean")
           and (.selected_by | type == "string")
           and (.driver_before | str_or_null) and (.driver_after | str_or_null)
           and (.action | IN("bound", "already-bound", "recovered", "released", "kept",
                             "skipped", "failed", "planned"))
           and (.error | str_or_null) and (.vfio_node | str_or_null));
       "a device entry is malformed")
| must(.groups | type == "array"; "groups")
| must(all(.groups[]; type == "object" and exactly(["group", "viable", "members", "blockers"])
           and (.group | type == "number") and (.viable | type == "boolean")
           and (.members | type == "array" and all(.[]; addr))
           and (.blockers | type == "array")
           and all(.blockers[]; type == "object" and (.addr | addr)));
       "a group entry is malformed")
| must(.errors | strings; "errors")
| must(.warnings | strings; "warnings")
| must(.result | IN("ok", "partial", "failed", "disabled", "nothing-to-do"); "result is \(.result)")
| must(.result != "ok" or (.errors | length) == 0; "result ok with errors")
| must((.result | IN("failed", "partial") | not) or (.errors | length) > 0;
       "result \(.result) without errors")
| true

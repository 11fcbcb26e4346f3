# schema.jq — the end-to-end suite's own check of a pt state file (schema 1).
# Usage: jq -r -f tests/e2e/schema.jq state.json
# Prints one line per problem; prints nothing when the file is valid.
# (tests/state-schema.jq is the project's full validator; run.sh applies
# both when that file exists.)

def devkeys: ["addr", "vendor", "device", "subvendor", "subdevice", "class",
              "iommu_group", "boot_vga", "selected_by", "driver_before",
              "driver_after", "action", "error", "vfio_node"];

if type != "object" then "state: not a JSON object"
else
  (if .schema != 1 then "schema is \(.schema | tojson), not 1" else empty end),
  (if (.result | IN("ok", "partial", "failed", "disabled", "nothing-to-do")) | not
   then "result is \(.result | tojson)" else empty end),
  (if (.devices | type) != "array" then "devices is not an array"
   else
     .devices[]
     | if type != "object" then "a device entry is not an object: \(tojson)"
       elif (keys | sort) != (devkeys | sort)
       then "device \(.addr // "?"): keys \(keys | sort | join(",")) (want exactly \(devkeys | sort | join(",")))"
       else empty end
   end)
end

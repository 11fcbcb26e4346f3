# tests/nix/grammar.nix — device-list cases for nixos/lib.nix.
#
# `entries`: one entry each (what one element of hardware.pt.devices is);
# `lists`: whole lists, as pt.devices= or "devices =" carry them. `error`
# is a piece of the expected message. run.sh also feeds every text here,
# and `generated`, to agent/spec.c and checks that both parsers agree.
let
  inherit (builtins) concatMap map;
in
{
  entries = [
    # valid
    { text = "26:00.0"; valid = true; }
    { text = "0000:26:00.0"; valid = true; }
    { text = "26:00.*"; valid = true; }
    { text = "ff:1f.7"; valid = true; }
    { text = "FFFF:0A:1F.3"; valid = true; }
    { text = "10de:1c03"; valid = true; }
    { text = "10DE:1C03:1458:3fbb"; valid = true; }
    { text = "10de:1c03@26:00.0"; valid = true; }
    { text = "10de:1c03:1458:3fbb@0000:26:00.*"; valid = true; }
    { text = "!0a:00.0"; valid = true; }
    { text = "!8086:10d3"; valid = true; }
    { text = "!1002:67df@0a:00.0"; valid = true; }
    # invalid
    { text = ""; valid = false; error = "empty entry"; }
    { text = "!"; valid = false; error = "after '!'"; }
    { text = "!!0a:00.0"; valid = false; error = "only once"; }
    { text = "26:00.8"; valid = false; error = "function number must be 0-7"; }
    { text = "26:00.07"; valid = false; error = "single digit"; }
    { text = "26:20.0"; valid = false; error = "slot number must be 00-1f"; }
    { text = "26:0.0"; valid = false; error = "slot number must be 2 hex digits"; }
    { text = "026:00.0"; valid = false; error = "bus number must be 2 hex digits"; }
    { text = "000:26:00.0"; valid = false; error = "PCI domain must be 4 hex digits"; }
    { text = "0000:26:00:0.0"; valid = false; error = "found 3 ':'"; }
    { text = "26.00.0"; valid = false; error = "found 0 ':'"; }
    { text = "2g:00.0"; valid = false; error = "'g' is not a hex digit (in the bus number)"; }
    { text = "26:00."; valid = false; error = "expected the function number"; }
    { text = "26:00"; valid = false; error = "vendor id must be 4 hex digits"; }
    { text = "10de"; valid = false; error = "found 0 ':'"; }
    { text = "10de:1c0"; valid = false; error = "device id must be 4 hex digits"; }
    { text = "10de:1c03:1458"; valid = false; error = "found 2 ':'"; }
    { text = "10dg:1c03"; valid = false; error = "'g' is not a hex digit (in the vendor id)"; }
    { text = "10de:*"; valid = false; error = "'*' is not a hex digit"; }
    { text = "26:00.0@10de:1c03"; valid = false; error = "the id comes first"; }
    { text = "10de:1c03@"; valid = false; error = "expected an address after '@'"; }
    { text = "@26:00.0"; valid = false; error = "expected vendor:device before '@'"; }
    { text = "10de:1c03@26:00.0@27:00.0"; valid = false; error = "only one '@'"; }
    { text = "10de:1c03@10de:1c03"; valid = false; error = "bus number must be 2 hex digits"; }
    { text = "10de:1c03,10de:10f1"; valid = false; error = "its own entry"; }
    { text = "26:00.0 26:00.1"; valid = false; error = "its own entry"; }
    { text = "0000:26:00.0000000000000000000000000000000"; valid = false; error = "too long"; }
  ];

  lists = [
    { text = ""; valid = true; n = 0; }
    { text = "  \t "; valid = true; n = 0; }
    { text = "10de:1c03@26:00.0,10de:10f1@26:00.1"; valid = true; n = 2; }
    { text = " 26:00.0 ,\t26:00.1 "; valid = true; n = 2; }
    { text = "1002:67df,!0a:00.0"; valid = true; n = 2; }
    { text = "26:00.0,"; valid = false; error = "entry 2"; }
    { text = ",26:00.0"; valid = false; error = "entry 1"; }
    { text = "26:00.0,,26:00.1"; valid = false; error = "entry 2"; }
    { text = "26:00.0 26:00.1"; valid = false; error = "entry 1"; }
    { text = "26:00.0,26:00.9"; valid = false; error = "entry 2 ('26:00.9')"; }
    { text = "26:00.0\n"; valid = false; error = "entry 1"; }
    {
      # 64 entries: the limit
      text = builtins.concatStringsSep "," (builtins.genList (_: "26:00.0") 64);
      valid = true;
      n = 64;
    }
    {
      text = builtins.concatStringsSep "," (builtins.genList (_: "26:00.0") 65);
      valid = false;
      error = "limit is 64";
    }
    {
      text = builtins.concatStringsSep "," (builtins.genList (_: "10de:1c03:1458:3fbb@0000:26:00.0") 125);
      valid = false;
      error = "limit is 4096";
    }
  ];

  # Shapes around every field boundary, for the comparison with agent/spec.c.
  generated =
    let
      domains = [ "" "0000:" "000:" "00000:" "ffff:" "g000:" ":" ];
      buses = [ "26" "2" "266" "2G" "" ];
      slots = [ "00" "1f" "1F" "20" "0" "" "0x" ];
      funcs = [ "0" "7" "8" "*" "" "07" "*0" "a" ];
      addrs = concatMap (
        d: concatMap (b: concatMap (s: map (f: "${d}${b}:${s}.${f}") funcs) slots) buses
      ) domains;
      fields = [ "10de" "10DE" "10d" "10de0" "10dg" "" "*" ];
      ids = concatMap (v: map (d: "${v}:${d}") fields) fields
        ++ map (s: "10de:1c03:${s}:3fbb") fields
        ++ [ "10de:1c03:1458" "10de:1c03:1458:3fbb:0000" "10de" ];
      shortAddrs = [ "26:00.0" "0000:26:1f.*" "26:20.0" "26:00.8" "26.00.0" "" ];
      pinned = concatMap (i: map (a: "${i}@${a}") shortAddrs) (ids ++ [ "" ]);
      wrapped = concatMap (e: [ e "!${e}" " ${e}\t" "${e},26:00.1" "!!${e}" "${e}@" ]) [
        "26:00.0"
        "10de:1c03"
        "10de:1c03@26:00.0"
      ];
    in
    addrs ++ ids ++ pinned ++ wrapped ++ [ "," " , " "26:00.0 ," "26:00.0;26:00.1" "!,26:00.0" ];
}

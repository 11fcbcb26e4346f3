# tests/nix/standin-pkgs.nix — the `pkgs` that the real-module-system
# evaluation (tests/nix/nixos-eval.nix) passes to NixOS. nixpkgs cannot be
# fetched here, so every package is a STAND-IN: an attribute set shaped
# like a derivation (type = "derivation", name, outPath), nothing is built.
#
# outPath is a path in the evaluator's own store directory
# (builtins.storeDir; run.sh points it at a private temporary directory),
# named like a store path. `standins` lists the packages with the programs
# each one provides: run.sh creates those files (small scripts) before it
# runs `systemd-analyze verify` on the units NixOS renders, so that the
# Exec*= lines name files that exist and are executable. Scripts written
# with writeShellScript are named after a hash of their text, so a test can
# write the very script a unit runs (see nixos-eval.nix, `files`).
let
  inherit (builtins) hashString substring storeDir;

  path = name: seed: "${storeDir}/${substring 0 32 (hashString "sha256" seed)}-${name}";

  drv =
    name: extra:
    {
      type = "derivation";
      inherit name;
      outPath = path name name;
      outputName = "out";
      outputs = [ "out" ];
      meta = { };
    }
    // extra;

  # A package with programs in bin/.
  pkg =
    name: bins:
    drv name { inherit bins; };

  # A file with this text (what the trivial builders would write).
  file =
    executable: name: text:
    drv name {
      outPath = path name (name + "\n" + text);
      inherit text executable;
    };

  pt = pkg "pt-0.1.0" [
    "pt-agent"
    "pt-status"
    "pt-vm"
  ];
  ptStatic = pkg "pt-static-0.1.0" [ "pt-agent" ];
  # Other builds of pt, for tests that set hardware.pt.package and
  # agentPackage.
  ptCustom = pkg "pt-custom-0.1.0" [
    "pt-agent"
    "pt-status"
    "pt-vm"
  ];
  ptCustomStatic = pkg "pt-custom-static-0.1.0" [ "pt-agent" ];
  qemu = pkg "qemu-host-cpu-only-10.0.0" [ "qemu-system-x86_64" ];
  systemd = pkg "systemd-257.6" [ "systemctl" ];
  coreutils = pkg "coreutils-9.7" [ "true" ];
  findutils = pkg "findutils-4.10.0" [ "find" ];
  gnugrep = pkg "gnugrep-3.12" [ "grep" ];
  gnused = pkg "gnused-4.9" [ "sed" ];
  ovmf = pkg "OVMF-202505-fd" [ ];

  pkgs = {
    # pkgs.callPackage ./package.nix { } and its static twin: the module
    # passes nixos/package.nix, whose real build needs nixpkgs' stdenv.
    callPackage = _file: _args: pt;
    pkgsStatic.callPackage = _file: _args: ptStatic;
    qemu_kvm = qemu;
    OVMF.fd = ovmf;
    pt-custom = ptCustom;
    pt-custom-static = ptCustomStatic;
    inherit
      systemd
      coreutils
      findutils
      gnugrep
      gnused
      ;

    writeText = file false;
    writeShellScript = file true;
    writeScript = file true;
    writeShellScriptBin = name: text: pkg name [ name ] // { inherit text; };
    runCommand = name: env: _script: drv name { inherit env; };
    buildPackages.xorg.lndir = pkg "lndir-1.0.5" [ "lndir" ];

    stdenv.hostPlatform = {
      system = "x86_64-linux";
      isx86 = true;
      isx86_64 = true;
      isLinux = true;
      isStatic = false;
    };
  };
in
{
  inherit pkgs;
  # What run.sh creates in the private store before systemd-analyze runs.
  # (`dir`, not outPath: toJSON would turn the set into its outPath.)
  standins = map (p: {
    dir = p.outPath;
    inherit (p) bins;
  }) [
    pt
    ptStatic
    ptCustom
    ptCustomStatic
    qemu
    systemd
    coreutils
    findutils
    gnugrep
    gnused
  ];
  inherit file;
}

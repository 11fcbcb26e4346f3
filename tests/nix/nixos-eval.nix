# tests/nix/nixos-eval.nix — NixOS as eval-config.nix builds it, from the
# material in ../shared/nixos-eval (see its SOURCES.md): nixpkgs' real
# `lib` (evalModules, types, merging), the real declarations of the NixOS
# options pt's module sets or reads, and real NixOS modules used whole
# (assertions, meta, label, specialisation). `pkgs` is the stand-in of
# ./standin-pkgs.nix.
#
#   nixosSystem [ module … ]   the evaluated system ({ config; options; … }),
#                              base modules first and the user's through
#                              extendModules, as nixos/lib/eval-config.nix
#                              does (specialisation.nix needs that).
#   force system               forces what building the system would:
#                              system.build.toplevel (the real
#                              lib.asserts.checkAssertWarn: failed
#                              assertions throw, warnings are printed), the
#                              specialisations' toplevels, and every value
#                              defined by the file `moduleFile`, in the
#                              system and in each specialisation.
{
  evalDir,
  moduleFile,
}:
let
  lib = import (evalDir + "/nixpkgs-lib/lib");
  standin = import ./standin-pkgs.nix;
  nixosModules = evalDir + "/nixpkgs/nixos/modules";
  noClone = nixosModules + "/system/activation/no-clone.nix";

  baseModules = [
    (evalDir + "/declarations.nix")
    (evalDir + "/extra-arguments.nix")
    # environment.etc: not among the provided declarations; a stand-in.
    ./etc-declaration.nix
    (nixosModules + "/misc/assertions.nix")
    (nixosModules + "/misc/meta.nix")
    (nixosModules + "/misc/label.nix")
    (nixosModules + "/system/activation/specialisation.nix")
  ];
  # As eval-config.nix's pkgsModule and modulesModule.
  pkgsModule = {
    _file = ./standin-pkgs.nix;
    key = ./standin-pkgs.nix;
    config._module.args.pkgs = lib.mkForce standin.pkgs;
  };
  modulesModule = {
    config._module.args = {
      inherit noUserModules baseModules;
      extraModules = [ ];
      modules = [ ];
    };
  };
  noUserModules = lib.evalModules {
    modules = baseModules ++ [
      pkgsModule
      modulesModule
    ];
  };
  nixosSystem = modules: noUserModules.extendModules { inherit modules; };

  moduleFileName = toString moduleFile;

  # The options whose definitions include one from moduleFile.
  definedByModule =
    options: builtins.filter (o: builtins.elem moduleFileName o.files) (lib.collect lib.isOption options);

  # A specialisation evaluated again the way specialisation.nix evaluates it
  # (extendModules with no-clone.nix and the configuration's definitions),
  # for its `options`; its `config` is the specialisation's own.
  specialisationTwin =
    system: name:
    system.extendModules {
      modules = [ noClone ] ++ lib.concatMap (d: lib.optional (d ? ${name}.configuration) d.${name}.configuration) system.options.specialisation.definitions;
    };

  # Unit options are not all defined (startLimitBurst has no default); NixOS
  # reads a service through the unit it renders, so a service the module
  # defines is forced as that unit: its text and its unit file.
  unitsOf = {
    "systemd.services" = [ "systemd" "units" ];
    "boot.initrd.systemd.services" = [ "boot" "initrd" "systemd" "units" ];
  };
  forceDefined =
    options: config:
    map (
      o:
      let
        name = lib.showOption o.loc;
        ours = map (d: d.value) (builtins.filter (d: d.file == moduleFileName) o.definitionsWithLocations);
        units = lib.attrByPath unitsOf.${name} null config;
        v =
          if unitsOf ? ${name} then
            map (n: { inherit (units."${n}.service") text unit; }) (lib.concatMap builtins.attrNames ours)
          else
            lib.attrByPath o.loc null config;
      in
      builtins.deepSeq v name
    ) (definedByModule options);

  force =
    system:
    let
      c = system.config;
      sp = builtins.attrNames c.specialisation;
    in
    builtins.deepSeq {
      toplevel = c.system.build.toplevel.outPath;
      defined = forceDefined system.options c;
      builder = c.system.systemBuilderCommands;
      specialisations = map (
        n:
        let
          sc = c.specialisation.${n}.configuration;
        in
        {
          toplevel = sc.system.build.toplevel.outPath;
          defined = forceDefined (specialisationTwin system n).options sc;
        }
      ) sp;
    } true;
in
{
  inherit
    lib
    standin
    nixosSystem
    noUserModules
    definedByModule
    specialisationTwin
    force
    ;
  inherit (standin) pkgs;
}

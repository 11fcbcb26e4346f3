# tests/nix/etc-declaration.nix — a declaration of `environment.etc`, which
# the module sets (a VM service's /etc/pt/vm/<name>.conf) but which
# ../shared/nixos-eval/declarations.nix does not carry. Written here after
# nixos/modules/system/etc/etc.nix: the same option path and the same
# submodule fields with their types and defaults (text, source, mode, user,
# group, uid, gid, enable, target); the part that builds /etc is not
# modelled. A stand-in declaration: say so where the evaluation is described.
{ lib, ... }:
let
  inherit (lib) mkOption types;
in
{
  options.environment.etc = mkOption {
    default = { };
    description = "Set of files that have to be linked in {file}`/etc`.";
    type = types.attrsOf (
      types.submodule (
        { name, config, ... }:
        {
          options = {
            enable = mkOption {
              type = types.bool;
              default = true;
            };
            target = mkOption {
              type = types.str;
              default = name;
            };
            text = mkOption {
              type = types.nullOr types.lines;
              default = null;
            };
            source = mkOption { type = types.path; };
            mode = mkOption {
              type = types.str;
              default = "symlink";
            };
            uid = mkOption {
              type = types.int;
              default = 0;
            };
            gid = mkOption {
              type = types.int;
              default = 0;
            };
            user = mkOption {
              type = types.str;
              default = "+${toString config.uid}";
            };
            group = mkOption {
              type = types.str;
              default = "+${toString config.gid}";
            };
          };
          config.source = lib.mkIf (config.text != null) (
            lib.mkDefault (builtins.toFile (baseNameOf name) config.text)
          );
        }
      )
    );
  };
}

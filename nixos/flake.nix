# nixos/flake.nix — pt for NixOS as a flake. Use it from the repository's
# nixos/ directory:
#
#   inputs.pt.url = "github:OWNER/pt?dir=nixos";
#   inputs.pt.inputs.nixpkgs.follows = "nixpkgs";
#
# The package expressions reach the sources in ../agent: a flake in a
# subdirectory of a git repository is copied with the whole repository.
{
  description = "pt: hand PCI devices to vfio-pci early in the initrd (NixOS module and packages)";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      system = "x86_64-linux";
      pkgs = nixpkgs.legacyPackages.${system};

      # A small machine around the example, so that `nix flake check`
      # evaluates the module against real nixpkgs (both stage-1 variants).
      example =
        extra:
        nixpkgs.lib.nixosSystem {
          modules = [
            ./examples/windows-vm.nix
            {
              nixpkgs.hostPlatform = system;
              fileSystems."/" = {
                device = "/dev/disk/by-label/nixos";
                fsType = "ext4";
              };
              boot.loader.systemd-boot.enable = true;
              users.users.alice.isNormalUser = true;
              system.stateVersion = "25.05";
            }
            extra
          ];
        };
    in
    {
      # The logic of the module, without nixpkgs (see lib.nix).
      lib = import ./lib.nix;

      # The path, not `import ./module.nix`: the module system then knows
      # the file (errors name it) and imports it once when a configuration
      # also imports ./module.nix by path, as examples/windows-vm.nix does.
      nixosModules.default = ./module.nix;
      nixosModules.pt = self.nixosModules.default;

      overlays.default = final: _prev: {
        pt = final.callPackage ./package.nix { };
        pt-static = final.pkgsStatic.callPackage ./package.nix { };
      };

      packages.${system} = {
        default = pkgs.callPackage ./package.nix { };
        static = pkgs.pkgsStatic.callPackage ./package.nix { };
      };

      nixosConfigurations = {
        example-scripted = example { };
        example-systemd = example { boot.initrd.systemd.enable = true; };
      };

      checks.${system} = {
        inherit (self.packages.${system}) default static;
        example-scripted = self.nixosConfigurations.example-scripted.config.system.build.toplevel;
        example-systemd = self.nixosConfigurations.example-systemd.config.system.build.toplevel;
      };
    };
}

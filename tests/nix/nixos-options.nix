# tests/nix/nixos-options.nix — the NixOS options that nixos/module.nix and
# nixos/examples/ may define, each checked by hand against nixpkgs' own
# declaration (file named on the right, in NixOS/nixpkgs). nixpkgs cannot be
# fetched on the project's machines, so this list stands in for it: the
# module test fails when the module or an example defines an option path
# that is not here (a typo such as boot.initrd.sytemd.services, or an
# option that does not exist).
#
# Each name is a "leaf": the test does not look inside its value
# (boot.initrd.systemd.services.pt-agent is a definition of
# boot.initrd.systemd.services).
[
  # nixos/modules/misc/assertions.nix
  "assertions"
  "warnings"
  # nixos/modules/misc/meta.nix
  "meta.maintainers"
  # nixos/modules/system/boot/kernel.nix (a list, or since 2025 also an
  # attribute set of booleans: types.coercedTo (listOf str))
  "boot.kernelParams"
  "boot.initrd.availableKernelModules"
  "boot.initrd.kernelModules"
  # nixos/modules/system/boot/stage-1.nix (scripted stage 1); the hooks run
  # by nixos/modules/system/boot/stage-1-init.sh
  "boot.initrd.preDeviceCommands"
  "boot.initrd.extraUtilsCommands"
  "boot.initrd.extraUtilsCommandsTest"
  "boot.initrd.extraFiles"
  # nixos/modules/system/boot/systemd/initrd.nix (systemd stage 1)
  "boot.initrd.systemd.enable"
  "boot.initrd.systemd.services"
  "boot.initrd.systemd.storePaths"
  "boot.initrd.systemd.contents"
  # nixos/modules/config/system-path.nix
  "environment.systemPackages"
  # nixos/modules/system/etc/etc.nix (pt-vm's VM files)
  "environment.etc"
  # nixos/modules/services/hardware/udev.nix
  "services.udev.extraRules"
  # nixos/modules/config/users-groups.nix
  "users.users"
  "users.groups"
  # nixos/modules/system/boot/systemd.nix
  "systemd.services"
  "systemd.defaultUnit"
  # nixos/modules/system/activation/specialisation.nix
  "specialisation"
  # nixos/modules/misc/label.nix
  "system.nixos.tags"
]

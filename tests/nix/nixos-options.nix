# tests/nix/nixos-options.nix — the NixOS options that nixos/module.nix and
# nixos/examples/ may define, each with the nixpkgs file that declares it
# (NixOS/nixpkgs, nixos/modules/…). The stand-in tests (cases.nix) fail
# when the module or an example defines an option path that is not here (a
# typo such as boot.initrd.sytemd.services, or an option that does not
# exist).
#
# Checked against the real declarations in ../shared/nixos-eval (see its
# SOURCES.md for the version of each file): real-cases.nix tests that every
# entry is a declared NixOS option there, and that the module and the
# example, evaluated with the real module system, define nothing outside
# this list.
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
  # nixos/modules/system/boot/kernel.nix (kernelParams: a list of strings,
  # listOf (strMatching ''([^"[:space:]]|"[^"]*")+''))
  "boot.kernelParams"
  "boot.initrd.availableKernelModules"
  "boot.initrd.kernelModules"
  # nixos/modules/system/boot/stage-1.nix (scripted stage 1; preDeviceCommands:
  # "Shell commands to be executed before udev is started to create device
  # nodes")
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
  # nixos/modules/config/users-groups.nix (users.users is NOT here: the
  # module gives group membership through users.groups.<name>.members and
  # must not define users, which would half-create them)
  "users.groups"
  # nixos/modules/system/boot/systemd.nix
  "systemd.services"
  "systemd.defaultUnit"
  # nixos/modules/system/activation/specialisation.nix
  "specialisation"
  # nixos/modules/misc/label.nix
  "system.nixos.tags"
]

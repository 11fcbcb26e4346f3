# examples/windows-vm.nix — two boot entries on one machine:
#
#   "NixOS"                     the normal desktop; the GTX 1060 drives the
#                               host's screens with its usual driver.
#   "NixOS (windows-vm)"        host headless: no display manager, the GTX
#                               1060 and its HDMI audio belong to vfio-pci
#                               from the initrd on, and a Windows VM starts.
#
# The guide this replaces put `vfio-pci.ids=10de:1c03,10de:10f1` on the
# command line, blacklisted nouveau/nvidia and snd_hda_intel's claim with
# softdep lines, and ran a driver_override loop from
# boot.initrd.preDeviceCommands (which systemd stage 1 refuses). None of
# that is needed here: pt-agent binds exactly the two pinned functions,
# before any driver loads, and tells the VM service what happened.
#
# Import this from configuration.nix. With the flake, pt.nixosModules.default
# is the same file as ../module.nix: importing both imports the module once.
# alice is not declared here: pt makes her a member of the vfio and kvm
# groups (users.groups.<name>.members) but never creates a user; declare
# her as usual (flake.nix's example machine does).
{ lib, pkgs, ... }:
{
  imports = [ ../module.nix ];

  # ---- both entries -----------------------------------------------------------
  # AMD board (the GPU sits on bus 26): the IOMMU is on by default; on
  # Intel add "intel_iommu=on". iommu=pt keeps the host's own devices on
  # the fast identity mapping.
  boot.kernelParams = [ "iommu=pt" ];

  # Nothing here touches the GPU: the normal entry boots as it always did.
  # hardware.pt.enable stays false in the parent configuration, so its
  # initrd carries neither pt-agent nor a device list.

  # ---- the VM entry -----------------------------------------------------------
  specialisation.windows-vm.configuration = {
    system.nixos.tags = [ "windows-vm" ];

    hardware.pt = {
      enable = true;
      devices = [
        # Pinned entries: the function at that address, and only if it is
        # this device. Both forms render to id@address.
        {
          id = "10de:1c03";
          address = "26:00.0";
          description = "GeForce GTX 1060 6GB";
        }
        "10de:10f1@26:00.1" # its HDMI audio
      ];
      # The user who runs VMs by hand may open /dev/vfio/<group>
      # (a member of hardware.pt.vfioGroup; not created by pt).
      vfioUsers = [ "alice" ];

      # pt-vm@windows.service: pt-vm checks the devices, the memory-lock
      # limit (LimitMEMLOCK follows memory) and the disk, gives the VM its
      # own OVMF VARS, drops to alice and runs QEMU (pt-vm(8)).
      vmServices.windows = {
        user = "alice";
        waitSeconds = 30;
        memory = 12288;
        cpus = 6;
        firmware = "ovmf";
        usb = [ "046d:c539" ]; # a Logitech receiver, when plugged in
        qemuArgs = [
          "-cpu"
          "host"
          "-drive"
          "file=/var/lib/vms/windows.qcow2,if=virtio,format=qcow2"
          "-nic"
          "user,model=virtio-net-pci"
          "-display"
          "none"
        ];
      };
    };

    # Host headless: no display manager, boot to multi-user.target.
    systemd.services.display-manager.enable = lib.mkForce false;
    systemd.defaultUnit = lib.mkForce "multi-user.target";
  };
}

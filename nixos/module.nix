# nixos/module.nix — NixOS module for pt, the early-boot VFIO binding agent.
#
#   imports = [ ./path/to/pt/nixos/module.nix ];   # or pt.nixosModules.default
#   hardware.pt = {
#     enable = true;
#     devices = [ "10de:1c03@26:00.0" "10de:10f1@26:00.1" ];
#   };
#
# What it does:
#   - puts the static pt-agent and the vfio modules into the initrd and runs
#     the agent first: in scripted stage 1 at the head of
#     boot.initrd.preDeviceCommands (before udev starts; the modules of
#     boot.initrd.kernelModules are already loaded by then), in systemd
#     stage 1 as a unit ordered before systemd-modules-load.service and
#     udev's coldplug;
#   - passes the device list on the kernel command line (pt.devices=…)
#     and/or in /etc/pt.conf inside the initrd;
#   - installs pt-status, a udev rule for /dev/vfio/*, and optional VM
#     launcher services that wait for pt-status and take the QEMU
#     arguments from `pt-status qemu-args`.
#
# All decisions are made by plain functions in ./lib.nix (tested without
# nixpkgs by tests/nix/run.sh); this file only maps options onto NixOS.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  ptLib = import ./lib.nix;
  cfg = config.hardware.pt;
  systemdStage1 = config.boot.initrd.systemd.enable;

  # Paths of the two programs. pt-agent goes into the initrd (static build);
  # pt-status runs in the booted system.
  agent = "${cfg.agentPackage}/bin/pt-agent";
  ptStatus = "${cfg.package}/bin/pt-status";
  ptVm = "${cfg.package}/bin/pt-vm";

  # What lib.nix's checks look at besides hardware.pt itself.
  checkInput = cfg // {
    inherit systemdStage1;
    initrdKernelModules = config.boot.initrd.kernelModules;
    otherKernelParams = config.boot.kernelParams;
    modprobeConfig = config.boot.extraModprobeConfig;
  };

  confFile = pkgs.writeText "pt.conf" (ptLib.confText cfg);

  enabledVms = lib.filterAttrs (_: vm: vm.enable) cfg.vmServices;
  # Users not yet in `group` through users.users.<name>.extraGroups.
  newMembers =
    group: users:
    lib.filter (u: !(lib.elem group (config.users.users.${u}.extraGroups or [ ]))) (lib.unique users);
  vmUsers = lib.unique (
    lib.filter (u: u != null) (lib.mapAttrsToList (_: vm: vm.user) enabledVms)
  );

  # One element of hardware.pt.devices. A string is coerced to
  # { entry = "…"; }, so that the list has one submodule type whose fields
  # the option documentation and nixos-option show (types.either would
  # hide them).
  deviceType = lib.types.submodule {
    options = {
      entry = lib.mkOption {
        type = lib.types.nullOr lib.types.str;
        default = null;
        example = "10de:1c03@26:00.0";
        description = ''
          The whole entry in pt's grammar, as one string (`26:00.0`,
          `10de:1c03`, `10de:1c03@26:00.0`, `!0a:00.0`, …). A string element
          of `hardware.pt.devices` stands for `{ entry = "…"; }`. Not
          together with `address`, `id` or `exclude`.
        '';
      };
      address = lib.mkOption {
        type = lib.types.nullOr lib.types.str;
        default = null;
        example = "26:00.0";
        description = "PCI address, `[domain:]bus:slot.func` (func may be `*`).";
      };
      id = lib.mkOption {
        type = lib.types.nullOr lib.types.str;
        default = null;
        example = "10de:1c03";
        description = ''
          `vendor:device` or `vendor:device:subvendor:subdevice`. With
          `address` too, the entry is pinned (`id@address`): pt binds the
          function at that address only if it is this device.
        '';
      };
      description = lib.mkOption {
        type = lib.types.str;
        default = "";
        example = "GTX 1060 6GB";
        description = "A note for humans; written as a comment into pt.conf.";
      };
      exclude = lib.mkOption {
        type = lib.types.bool;
        default = false;
        description = "Exclude what this entry matches (`!entry`).";
      };
    };
  };

  vmType = lib.types.submodule (
    { name, ... }:
    {
      options = {
        enable = lib.mkOption {
          type = lib.types.bool;
          default = true;
          description = "Whether to define the service `pt-vm-${name}`.";
        };
        devices = lib.mkOption {
          type = lib.types.nullOr lib.types.str;
          default = null;
          example = "10de:1c03, 10de:10f1";
          description = ''
            Which of pt's bound devices go to this guest, in the grammar of
            `pt.devices`; null: every device pt bound in this boot.
          '';
        };
        memory = lib.mkOption {
          type = lib.types.ints.positive;
          default = 1024;
          example = 8192;
          description = ''
            Guest memory in MiB. The unit's `LimitMEMLOCK` is this plus
            pt-vm's margin (${toString ptLib.vmMemlockMargin} MiB): VFIO pins all guest memory.
          '';
        };
        cpus = lib.mkOption {
          type = lib.types.ints.positive;
          default = 1;
          description = "Number of vCPUs.";
        };
        machine = lib.mkOption {
          type = lib.types.enum [
            "q35"
            "pc"
          ];
          default = "q35";
          description = "QEMU machine; the vfio-pci devices go on its bus (pcie.0 or pci.0).";
        };
        firmware = lib.mkOption {
          type = lib.types.enum [
            "bios"
            "ovmf"
          ];
          default = "ovmf";
          description = ''
            `ovmf`: UEFI, CODE read-only from `ovmfCode`, and this VM's own
            VARS in /var/lib/pt/vm/<name>/OVMF_VARS.fd, copied from
            `ovmfVarsTemplate` at the first start and never overwritten
            (`pt-vm reset-vars <name>` makes a fresh one).
          '';
        };
        ovmfCode = lib.mkOption {
          type = lib.types.str;
          default = "${pkgs.OVMF.fd}/FV/OVMF_CODE.fd";
          defaultText = lib.literalExpression ''"''${pkgs.OVMF.fd}/FV/OVMF_CODE.fd"'';
          description = "OVMF's CODE file.";
        };
        ovmfVarsTemplate = lib.mkOption {
          type = lib.types.str;
          default = "${pkgs.OVMF.fd}/FV/OVMF_VARS.fd";
          defaultText = lib.literalExpression ''"''${pkgs.OVMF.fd}/FV/OVMF_VARS.fd"'';
          description = "OVMF's VARS template (the VM gets its own copy).";
        };
        usb = lib.mkOption {
          type = lib.types.listOf lib.types.str;
          default = [ ];
          example = [
            "046d:c539"
            "0416"
          ];
          description = ''
            USB devices (vendor:product or vendor, hex) passed with
            `-device usb-host`; a udev rule gives them to `vfioGroup`.
          '';
        };
        disks = lib.mkOption {
          type = lib.types.listOf lib.types.str;
          default = [ ];
          example = [ "/dev/disk/by-id/ata-Samsung_SSD_860_EVO_S3Z9NB0K123456" ];
          description = ''
            Block devices passed raw (cache=none), by stable names only;
            pt-vm refuses one the host uses (mounted, swap, LVM/md/dm).
          '';
        };
        qemu = lib.mkOption {
          type = lib.types.str;
          default = "${pkgs.qemu_kvm}/bin/qemu-system-x86_64";
          defaultText = lib.literalExpression ''"''${pkgs.qemu_kvm}/bin/qemu-system-x86_64"'';
          description = "The QEMU binary.";
        };
        qemuArgs = lib.mkOption {
          type = lib.types.listOf lib.types.str;
          default = [ ];
          example = [
            "-cpu"
            "host"
            "-vga"
            "none"
          ];
          description = ''
            Further QEMU arguments (the VM file's `extra =`), after those
            pt-vm makes from the options above.
          '';
        };
        xVga = lib.mkOption {
          type = lib.types.bool;
          default = false;
          description = "x-vga=on for the boot GPU.";
        };
        waitSeconds = lib.mkOption {
          # pt-vm's wait = accepts 0 to 3600 (agent/vmconf.h, PT_VM_WAIT_MAX_S).
          type = lib.types.ints.between 0 ptLib.vmWaitMaxSeconds;
          default = 30;
          description = ''
            How long pt-vm waits for pt to bind the VM's devices (`wait =`,
            at most ${toString ptLib.vmWaitMaxSeconds}). The unit's start
            timeout (`TimeoutStartSec`) is this plus
            ${toString ptLib.vmStartMarginSeconds} seconds, so that systemd
            does not stop the service while it waits.
          '';
        };
        user = lib.mkOption {
          type = lib.types.nullOr lib.types.str;
          default = null;
          description = ''
            Run QEMU as this user (pt-vm drops to it); null: root. The
            module adds the user to the groups `hardware.pt.vfioGroup` and
            `kvm` (`users.groups.<name>.members`) but does not create it:
            declare it (`users.users.<name>`) as usual.
          '';
        };
        autoStart = lib.mkOption {
          type = lib.types.bool;
          default = true;
          description = "Start the VM at boot (WantedBy=multi-user.target).";
        };
      };
    }
  );
in
{
  options.hardware.pt = {
    enable = lib.mkEnableOption "pt, which hands PCI devices to vfio-pci early in the initrd";

    package = lib.mkOption {
      type = lib.types.package;
      default = pkgs.callPackage ./package.nix { };
      defaultText = lib.literalExpression "pkgs.callPackage ./package.nix { }";
      description = "pt for the booted system (pt-status, and pt-agent's runtime mode).";
    };

    agentPackage = lib.mkOption {
      type = lib.types.package;
      default = pkgs.pkgsStatic.callPackage ./package.nix { };
      defaultText = lib.literalExpression "pkgs.pkgsStatic.callPackage ./package.nix { }";
      description = "pt built statically (musl); its pt-agent goes into the initrd.";
    };

    devices = lib.mkOption {
      type = lib.types.listOf (lib.types.coercedTo lib.types.str (entry: { inherit entry; }) deviceType);
      default = [ ];
      example = lib.literalExpression ''
        [
          { id = "10de:1c03"; address = "26:00.0"; description = "GTX 1060"; }
          "10de:10f1@26:00.1"
        ]
      '';
      description = ''
        The PCI functions to hand to vfio-pci, one entry per element, in
        pt's grammar: `26:00.0`, `0000:26:00.*`, `10de:1c03`,
        `10de:1c03:1458:3fbb`, `10de:1c03@26:00.0` (pinned), `!0a:00.0`
        (exclude). An attribute set `{ address; id; }` renders to the
        pinned entry `id@address`; a string is the same as
        `{ entry = "…"; }`. Checked when the system is evaluated.
      '';
    };

    groupPolicy = lib.mkOption {
      type = lib.types.nullOr (lib.types.enum [ "auto" "strict" "warn" ]);
      default = null;
      description = "IOMMU group policy (`pt.group=`); null: the agent's default, `auto`.";
    };

    onFail = lib.mkOption {
      type = lib.types.nullOr (lib.types.enum [ "release" "keep" ]);
      default = null;
      description = "What a device that failed to bind gets (`pt.onfail=`); null: `release`.";
    };

    framebuffer = lib.mkOption {
      type = lib.types.nullOr (lib.types.enum [ "auto" "release" "keep" ]);
      default = null;
      description = "Boot framebuffer on a target GPU (`pt.fb=`); null: `auto`.";
    };

    waitMs = lib.mkOption {
      type = lib.types.nullOr lib.types.int;
      default = null;
      description = "Wait this long for listed devices that are not there yet (`pt.wait=`, 0-120000).";
    };

    timeoutMs = lib.mkOption {
      type = lib.types.nullOr lib.types.int;
      default = null;
      description = "Give up on an unbind or probe after this long (`pt.timeout=`, 10-120000); null: 5000.";
    };

    protect = lib.mkOption {
      type = lib.types.listOf lib.types.str;
      default = [ ];
      example = [ "8086:a102@00:17.0" ];
      description = ''
        PCI functions pt-agent must never bind, nor anything in their IOMMU
        groups (`pt.protect=`): addresses, or pinned `id@address` entries.
        Put the root file system's storage controller here: at boot pt-agent
        runs before the disk's driver and cannot find it from `root=` by
        itself, and a NixOS build runs in a sandbox that cannot look.
        `pt-agent root-devices` on the running system prints the entries.
      '';
    };

    logLevel = lib.mkOption {
      type = lib.types.nullOr (lib.types.enum [ "err" "warn" "info" "debug" ]);
      default = null;
      description = "Verbosity of pt's kernel-log lines (`pt.log=`); null: `info`.";
    };

    dryRun = lib.mkOption {
      type = lib.types.bool;
      default = false;
      description = "Plan, log and record, change nothing (`pt.dryrun`).";
    };

    commandLine = lib.mkOption {
      type = lib.types.bool;
      default = true;
      description = ''
        Put the settings on the kernel command line (`pt.devices=…` in
        `boot.kernelParams`). The boot menu then shows them, and one initrd
        serves every boot entry.
      '';
    };

    configInInitrd = lib.mkOption {
      type = lib.types.bool;
      default = false;
      description = ''
        Write the settings to `/etc/pt.conf` in the initrd, instead of (with
        `commandLine = false`) or as well as the command line. Keys on the
        command line override the file key by key.
      '';
    };

    extraVfioModules = lib.mkOption {
      type = lib.types.listOf lib.types.str;
      default = [ ];
      example = [ "mlx5_vfio_pci" ];
      description = ''
        vfio variant drivers to put into the initrd; pt-agent loads one when
        its `vfio_pci:` alias matches a target. Each must exist in the
        kernel's modules: NixOS refuses missing modules when it builds the
        initrd's module closure, so a name the kernel lacks (for example
        the arm64-only `nvgrace_gpu_vfio_pci` on x86_64) breaks the build.
      '';
    };

    vfioGroup = lib.mkOption {
      type = lib.types.str;
      default = "vfio";
      description = "Group that owns /dev/vfio/<group> (mode 0660), by a udev rule.";
    };

    vfioUsers = lib.mkOption {
      type = lib.types.listOf lib.types.str;
      default = [ ];
      example = [ "alice" ];
      description = ''
        Users added to `vfioGroup` (`users.groups.<vfioGroup>.members`). The
        module does not create them: declare them (`users.users.<name>`)
        as usual.
      '';
    };

    vmServices = lib.mkOption {
      type = lib.types.attrsOf vmType;
      default = { };
      description = ''
        VMs started by pt-vm: each becomes /etc/pt/vm/<name>.conf and
        `pt-vm@<name>.service` (`pt-vm start <name>`), the same launcher
        and file as outside NixOS; see pt-vm(8).
      '';
    };
  };

  config = lib.mkIf cfg.enable (
    lib.mkMerge [
      {
        assertions = ptLib.assertions checkInput;
        warnings = ptLib.warnings checkInput;

        boot.kernelParams = ptLib.kernelParams cfg;

        # pt-agent loads vfio_iommu_type1 and vfio-pci itself, with libkmod,
        # after it has written driver_override: they only have to be
        # available. Not in boot.initrd.kernelModules: systemd stage 1 would
        # load them after pt-agent anyway, and a boot entry without a device
        # list has no use for them.
        boot.initrd.availableKernelModules = ptLib.vfioModules ++ cfg.extraVfioModules;

        environment.systemPackages = [ cfg.package ];

        services.udev.extraRules =
          ptLib.udevRules cfg.vfioGroup
          + builtins.concatStringsSep "" (
            lib.mapAttrsToList (name: vm: ptLib.vmUdevRules name vm cfg.vfioGroup) enabledVms
          );
        # vfioUsers get the VFIO group; a VM service's user also gets kvm.
        # Membership is given through the groups, never through
        # users.users: a definition there would half-create a user who is
        # not declared elsewhere (users-groups.nix then asserts that
        # isNormalUser/isSystemUser and group are unset). A user who
        # already lists the group in extraGroups is a member already.
        users.groups = lib.mkMerge [
          { ${cfg.vfioGroup}.members = newMembers cfg.vfioGroup (cfg.vfioUsers ++ vmUsers); }
          { kvm.members = newMembers "kvm" vmUsers; }
        ];

        systemd.services = lib.mapAttrs' (
          name: vm:
          lib.nameValuePair "pt-vm@${name}" (
            ptLib.vmService {
              inherit name vm ptVm;
              wantedBy = lib.optional vm.autoStart "multi-user.target";
            }
          )
        ) enabledVms;
        environment.etc = lib.mapAttrs' (
          name: vm: lib.nameValuePair "pt/vm/${name}.conf" { text = ptLib.vmConfText name vm; }
        ) enabledVms;
      }

      # ---- scripted stage 1 ------------------------------------------------------
      (lib.mkIf (!systemdStage1) {
        # extra-utils copies the binary (a static one needs no libraries) and
        # the init script's PATH holds it.
        boot.initrd.extraUtilsCommands = ''
          copy_bin_and_libs ${agent}
        '';
        boot.initrd.extraUtilsCommandsTest = ''
          $out/bin/pt-agent --version
        '';
        # The earliest hook of stage-1-init.sh: after /proc, /sys, /dev and
        # /run are mounted and boot.initrd.kernelModules are loaded, before
        # udev starts and loads drivers by modalias. mkBefore: ahead of
        # other modules' commands.
        boot.initrd.preDeviceCommands = lib.mkBefore (ptLib.scriptedCommands "pt-agent");
        boot.initrd.extraFiles = lib.mkIf cfg.configInInitrd {
          "/etc/pt.conf".source = confFile;
        };
      })

      # ---- systemd stage 1 --------------------------------------------------------
      (lib.mkIf systemdStage1 {
        boot.initrd.systemd.storePaths = [ agent ];
        boot.initrd.systemd.services.pt-agent = ptLib.initrdService agent;
        boot.initrd.systemd.contents = lib.mkIf cfg.configInInitrd {
          "/etc/pt.conf".source = confFile;
        };
      })
    ]
  );

  meta.maintainers = [ ];
}

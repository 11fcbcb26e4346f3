# tests/nix/real-cases.nix — nixos/module.nix and nixos/examples/ under
# nixpkgs' real module system (tests/nix/nixos-eval.nix, material in
# ../shared/nixos-eval). run.sh uses it as follows:
#
#   systems.<name>          configurations that must evaluate: run.sh forces
#                           each (`force "<name>"`) in its own nix-instantiate,
#                           so a failure names the configuration; stderr
#                           carries the warnings that the real
#                           lib.asserts.checkAssertWarn prints.
#   expectWarnings.<name>   pieces of warnings that stderr must show.
#   tests                   [ { name; ok; detail; } ]: values of those
#                           configurations as NixOS merged them.
#   units, files, standins  the systemd units NixOS renders for the module,
#                           and the files they run (see standin-pkgs.nix),
#                           for `systemd-analyze verify`.
#   bad.<name>              configurations that must FAIL, each with
#                           { expect = [ pieces of the message ]; }; run.sh
#                           forces `forceBad "<name>"`. `mutants` is the
#                           directory where run.sh put altered copies of
#                           nixos/ (mutants/<name>/nixos/…).
{
  evalDir,
  mutants ? "/nonexistent",
}@args:
let
  # A path, or an absolute path as a string (run.sh passes --argstr).
  evalDir = /. + toString args.evalDir;
  root = ../..;
  moduleFile = root + "/nixos/module.nix";
  exampleFile = root + "/nixos/examples/windows-vm.nix";
  harness = mf: import ./nixos-eval.nix { inherit evalDir; moduleFile = mf; };
  h = harness moduleFile;
  inherit (h) lib nixosSystem pkgs;
  ptLib = import (root + "/nixos/lib.nix");
  known = import ./nixos-options.nix;

  inherit (lib)
    all
    any
    attrNames
    concatMap
    elem
    filter
    hasInfix
    hasPrefix
    mapAttrsToList
    sort
    unique
    ;
  inherit (builtins) toJSON;

  oneLine = builtins.replaceStrings [ "\t" "\n" "\r" ] [ "\\t" "\\n" "\\r" ];
  test = name: ok: detail: {
    name = oneLine "nixos-eval: ${name}";
    inherit ok;
    detail = if ok then "" else oneLine detail;
  };
  eq = name: got: expected: test name (got == expected) "got ${toJSON got}, expected ${toJSON expected}";
  missing = xs: ys: filter (x: !(elem x ys)) xs;

  gtx = [
    {
      id = "10de:1c03";
      address = "26:00.0";
      description = "GTX 1060";
    }
    "10de:10f1@26:00.1"
  ];
  on = extra: {
    hardware.pt = {
      enable = true;
      devices = gtx;
    }
    // extra;
  };
  systemdStage1 = {
    boot.initrd.systemd.enable = true;
  };

  # Every option under hardware.pt (and of a VM service, and of a device
  # entry) set to something other than its default.
  everyOption =
    { pkgs, ... }:
    {
      hardware.pt = {
        enable = true;
        package = pkgs.pt-custom;
        agentPackage = pkgs.pt-custom-static;
        devices = [
          "10de:10f1@26:00.1"
          {
            id = "10de:1c03";
            address = "26:00.0";
            description = "GTX 1060";
          }
          { address = "0000:27:00.*"; }
          { id = "1002:67df"; }
          {
            entry = "!0a:00.0";
            description = "the NIC";
          }
          {
            address = "0b:00.0";
            exclude = true;
          }
        ];
        groupPolicy = "strict";
        onFail = "keep";
        framebuffer = "release";
        waitMs = 2000;
        timeoutMs = 3000;
        protect = [
          "8086:a102@00:17.0"
          "3d:00.0"
        ];
        logLevel = "debug";
        dryRun = true;
        commandLine = true;
        configInInitrd = true;
        extraVfioModules = [ "mlx5_vfio_pci" ];
        vfioGroup = "vmusers";
        vfioUsers = [ "bob" ];
        vmServices.win = {
          enable = true;
          qemu = "${pkgs.qemu_kvm}/bin/qemu-system-x86_64";
          qemuArgs = [
            "-cpu"
            "host"
          ];
          xVga = true;
          waitSeconds = 600;
          user = "dave";
          autoStart = false;
          devices = "10de:1c03, 10de:10f1";
          memory = 8192;
          cpus = 4;
          machine = "q35";
          firmware = "ovmf";
          ovmfCode = "/run/ovmf/OVMF_CODE.fd";
          ovmfVarsTemplate = "/run/ovmf/OVMF_VARS.fd";
          usb = [ "046d:c539" ];
          disks = [ "/dev/disk/by-id/ata-WIN" ];
        };
      };
    };

  vmModule = on {
    vfioUsers = [
      "bob"
      "alice"
    ];
    vmServices = {
      windows = {
        user = "carol";
        waitSeconds = 300;
        qemuArgs = [
          "-m"
          "8G"
        ];
      };
      linux = {
        xVga = true;
      };
      disabled.enable = false;
    };
  };

  # The flake's module, with a stand-in for the nixpkgs input (only
  # nixosModules is read).
  flake = (import (root + "/nixos/flake.nix")).outputs {
    self = flake;
    nixpkgs = {
      inherit lib;
      legacyPackages.x86_64-linux = pkgs;
    };
  };

  systems = {
    off = [ moduleFile ];
    scripted = [
      moduleFile
      (on { })
    ];
    scripted-conf = [
      moduleFile
      (on { configInInitrd = true; })
    ];
    systemd = [
      moduleFile
      (on { })
      systemdStage1
    ];
    systemd-conf = [
      moduleFile
      (on {
        configInInitrd = true;
        commandLine = false;
      })
      systemdStage1
    ];
    # Other modules' preDeviceCommands, listed before and after pt's.
    scripted-other-hook = [
      { boot.initrd.preDeviceCommands = "echo listed-before"; }
      moduleFile
      (on { })
      { boot.initrd.preDeviceCommands = "echo listed-after"; }
    ];
    vms = [
      moduleFile
      vmModule
      {
        users.users.alice = {
          isNormalUser = true;
          extraGroups = [ "vfio" ];
        };
      }
    ];
    every-option-scripted = [
      moduleFile
      everyOption
    ];
    every-option-systemd = [
      moduleFile
      everyOption
      systemdStage1
    ];
    gpu-driver-scripted = [
      moduleFile
      (on { })
      { boot.initrd.kernelModules = [ "nouveau" ]; }
    ];
    example = [ exampleFile ];
    example-systemd = [
      exampleFile
      systemdStage1
    ];
    # pt.nixosModules.default beside the example, which imports
    # ../module.nix by path.
    flake-and-example = [
      flake.nixosModules.default
      exampleFile
    ];
    flake-and-module = [
      flake.nixosModules.default
      moduleFile
      (on { })
    ];
  };
  expectWarnings = {
    gpu-driver-scripted = [
      "evaluation warning: hardware.pt: boot.initrd.kernelModules loads nouveau before pt-agent runs"
    ];
  };

  sys = builtins.mapAttrs (_: nixosSystem) systems;
  cfgOf = n: sys.${n}.config;
  spOf = n: (cfgOf n).specialisation.windows-vm.configuration;

  force = name: h.force sys.${name};

  # ---- the values, as NixOS merged them -------------------------------------------
  agentOf = c: "${c.hardware.pt.agentPackage}/bin/pt-agent";
  ptVmOf = c: "${c.hardware.pt.package}/bin/pt-vm";
  initrdUnit = c: c.boot.initrd.systemd.units."pt-agent.service".text;
  vmUnit = c: n: c.systemd.units."pt-vm@${n}.service".text;
  unitLines = text: filter (l: l != "") (lib.splitString "\n" text);
  hasLine = text: l: elem l (unitLines text);
  ptParams = c: filter (hasPrefix "pt.") c.boot.kernelParams;
  # Options the module defines (its own option defaults aside).
  notOwn = filter (p: !(hasPrefix "hardware.pt." p));
  definedPaths = n: notOwn (map (o: lib.showOption o.loc) (h.definedByModule sys.${n}.options));
  spDefinedPaths =
    n: notOwn (map (o: lib.showOption o.loc) (h.definedByModule (h.specialisationTwin sys.${n} "windows-vm").options));
  members = c: g: sort (a: b: a < b) c.users.groups.${g}.members;

  everyCfg = cfgOf "every-option-systemd";
  hwOptions = sys.off.options.hardware.pt;
  subOptionNames = o: filter (n: n != "_module") (attrNames (o.type.getSubOptions [ ]));
  # What the manual and nixos-option show: visible, not internal (as
  # nixos/lib/make-options-doc filters).
  docList = filter (o: o.visible && !o.internal) (lib.optionAttrSetToDocList sys.off.options);
  docNames = map (o: o.name) (filter (o: hasPrefix "hardware.pt." o.name) docList);
  docOf = name: lib.findFirst (o: o.name == name) null docList;

  tests = [
    # ---- what is declared, and documented ----
    (eq "every option under hardware.pt is set by the every-option configuration" (
      missing (attrNames hwOptions) (attrNames (everyOption { inherit pkgs; }).hardware.pt)
    ) [ ])
    (eq "every option of a VM service is set there" (
      missing (subOptionNames hwOptions.vmServices) (attrNames (everyOption { inherit pkgs; }).hardware.pt.vmServices.win)
    ) [ ])
    (eq "every field of a device entry is used there" (
      missing (subOptionNames hwOptions.devices) (
        concatMap (d: if builtins.isAttrs d then attrNames d else [ ]) (everyOption { inherit pkgs; }).hardware.pt.devices
      )
    ) [ ])
    (eq "option documentation lists the fields of a device entry" (filter (hasPrefix "hardware.pt.devices") docNames) [
      "hardware.pt.devices"
      "hardware.pt.devices.*.address"
      "hardware.pt.devices.*.description"
      "hardware.pt.devices.*.entry"
      "hardware.pt.devices.*.exclude"
      "hardware.pt.devices.*.id"
    ])
    (eq "option documentation: type of devices, bound of waitSeconds" {
      devices = (docOf "hardware.pt.devices").type;
      waitSeconds = (docOf "hardware.pt.vmServices.<name>.waitSeconds").type;
    } {
      devices = "list of ((submodule) or string convertible to it)";
      waitSeconds = "integer between 0 and ${toString ptLib.vmWaitMaxSeconds} (both inclusive)";
    })
    (eq "option documentation: the extraVfioModules example exists on x86_64 and the description warns" {
      example = hwOptions.extraVfioModules.example;
      warns = hasInfix "breaks the build" hwOptions.extraVfioModules.description;
    } {
      example = [ "mlx5_vfio_pci" ];
      warns = true;
    })
    (eq "tests/nix/nixos-options.nix: every entry is a declared NixOS option" (
      filter (p: !(lib.isOption (lib.attrByPath (lib.splitString "." p) null sys.example.options))) known
    ) [ ])
    (eq "tests/nix/nixos-options.nix: holds every NixOS option the module and the example define" (
      missing (unique (concatMap definedPaths (attrNames systems) ++ spDefinedPaths "example")) known
    ) [ ])

    # ---- off ----
    (eq "enable = false: the module defines nothing but meta" (definedPaths "off") [ "meta.maintainers" ])

    # ---- both stage 1 modes ----
    (eq "kernel parameters: pt's, beside kernel.nix's loglevel=" (cfgOf "scripted").boot.kernelParams [
      "pt.devices=10de:1c03@26:00.0,10de:10f1@26:00.1"
      "loglevel=4"
    ])
    (eq "vfio modules available in the initrd, not force-loaded" {
      available = filter (m: elem m ptLib.vfioModules) (cfgOf "systemd").boot.initrd.availableKernelModules;
      loaded = (cfgOf "systemd").boot.initrd.kernelModules;
    } {
      available = ptLib.vfioModules;
      loaded = [ "dm_mod" ];
    })
    (eq "scripted stage 1: pt-agent first in the merged preDeviceCommands, other modules' after" (
      let
        text = (cfgOf "scripted-other-hook").boot.initrd.preDeviceCommands;
      in
      {
        first = hasPrefix (ptLib.scriptedCommands "pt-agent") text;
        others = map (l: hasInfix l text) [
          "echo listed-before"
          "echo listed-after"
        ];
      }
    ) {
      first = true;
      others = [
        true
        true
      ];
    })
    (eq "scripted stage 1: static pt-agent into extra-utils, tested there; no initrd unit" {
      utils = (cfgOf "scripted").boot.initrd.extraUtilsCommands;
      test = (cfgOf "scripted").boot.initrd.extraUtilsCommandsTest;
      unit = (cfgOf "scripted").boot.initrd.systemd.services ? pt-agent;
    } {
      utils = "copy_bin_and_libs ${agentOf (cfgOf "scripted")}\n";
      test = "$out/bin/pt-agent --version\n";
      unit = false;
    })
    (eq "systemd stage 1: pt-agent unit and store path, none of the scripted hooks" {
      unit = hasLine (initrdUnit (cfgOf "systemd")) "ExecStart=${agentOf (cfgOf "systemd")}";
      storePath = elem (agentOf (cfgOf "systemd")) (map (p: p.source) (cfgOf "systemd").boot.initrd.systemd.storePaths);
      hooks = with (cfgOf "systemd").boot.initrd; [
        preDeviceCommands
        extraUtilsCommands
        extraUtilsCommandsTest
      ];
    } {
      unit = true;
      storePath = true;
      hooks = [
        ""
        ""
        ""
      ];
    })
    (eq "systemd stage 1: unit ordered before module loading and udev, no default dependencies" (
      filter (l: hasPrefix "Before=" l || hasPrefix "DefaultDependencies=" l || hasPrefix "WantedBy=" l) (
        unitLines (initrdUnit (cfgOf "systemd"))
      )
    ) [
      "Before=${lib.concatStringsSep " " ptLib.initrdUnitBefore}"
      "DefaultDependencies=false"
      "WantedBy=sysinit.target"
    ])
    (eq "no pt.conf unless configInInitrd" {
      scripted = (cfgOf "scripted").boot.initrd.extraFiles;
      systemd = (cfgOf "systemd").boot.initrd.systemd.contents;
    } {
      scripted = { };
      systemd = { };
    })
    (eq "scripted stage 1: /etc/pt.conf via boot.initrd.extraFiles" (cfgOf "scripted-conf")
      .boot.initrd.extraFiles."/etc/pt.conf".source.text
      (ptLib.confText (cfgOf "scripted-conf").hardware.pt)
    )
    (eq "systemd stage 1: /etc/pt.conf via contents (and so storePaths), no pt.* parameters" {
      conf = (cfgOf "systemd-conf").boot.initrd.systemd.contents."/etc/pt.conf".source.text;
      stored = any (p: p.source == (cfgOf "systemd-conf").boot.initrd.systemd.contents."/etc/pt.conf".source) (
        cfgOf "systemd-conf"
      ).boot.initrd.systemd.storePaths;
      params = ptParams (cfgOf "systemd-conf");
    } {
      conf = ptLib.confText (cfgOf "systemd-conf").hardware.pt;
      stored = true;
      params = [ ];
    })

    # ---- every option ----
    (eq "every option: kernel parameters" (ptParams everyCfg) [
      "pt.devices=10de:10f1@26:00.1,10de:1c03@26:00.0,0000:27:00.*,1002:67df,!0a:00.0,!0b:00.0"
      "pt.group=strict"
      "pt.onfail=keep"
      "pt.fb=release"
      "pt.wait=2000"
      "pt.timeout=3000"
      "pt.log=debug"
      "pt.protect=8086:a102@00:17.0,3d:00.0"
      "pt.dryrun"
    ])
    (eq "every option: pt.conf in both stage 1 modes" {
      systemd = everyCfg.boot.initrd.systemd.contents."/etc/pt.conf".source.text;
      scripted = (cfgOf "every-option-scripted").boot.initrd.extraFiles."/etc/pt.conf".source.text;
    } {
      systemd = ''
        # /etc/pt.conf, written by the NixOS module (hardware.pt); see pt-agent(8).
        #   10de:1c03@26:00.0: GTX 1060
        #   !0a:00.0: the NIC
        devices = 10de:10f1@26:00.1, 10de:1c03@26:00.0, 0000:27:00.*, 1002:67df, !0a:00.0, !0b:00.0
        group = strict
        onfail = keep
        fb = release
        wait = 2000
        timeout = 3000
        log = debug
        protect = 8086:a102@00:17.0,3d:00.0
        dryrun = 1
      '';
      scripted = everyCfg.boot.initrd.systemd.contents."/etc/pt.conf".source.text;
    })
    (eq "every option: packages, extra module, group, udev rule" {
      agent = elem "${pkgs.pt-custom-static}/bin/pt-agent" (map (p: p.source) everyCfg.boot.initrd.systemd.storePaths);
      utils = (cfgOf "every-option-scripted").boot.initrd.extraUtilsCommands;
      status = elem pkgs.pt-custom everyCfg.environment.systemPackages;
      mlx5 = elem "mlx5_vfio_pci" everyCfg.boot.initrd.availableKernelModules;
      members = members everyCfg "vmusers";
      kvm = members everyCfg "kvm";
      udev = hasInfix ''GROUP="vmusers", MODE="0660"'' everyCfg.services.udev.extraRules;
    } {
      agent = true;
      utils = "copy_bin_and_libs ${pkgs.pt-custom-static}/bin/pt-agent\n";
      status = true;
      mlx5 = true;
      members = [
        "bob"
        "dave"
      ];
      kvm = [ "dave" ];
      udev = true;
    })
    (eq "every option: the VM unit (not started at boot, timeout 600+30 s, custom pt-vm)" (
      filter (l: builtins.match "(WantedBy|TimeoutStartSec|ExecStart|User)=.*" l != null) (
        unitLines (vmUnit everyCfg "win")
      )
    ) [
      "ExecStart=${pkgs.pt-custom}/bin/pt-vm start win"
      "TimeoutStartSec=630s"
    ])
    (eq "every option: the VM file names the VM's user (pt-vm drops to it)" (
      hasInfix "user = dave\n" everyCfg.environment.etc."pt/vm/win.conf".text
    ) true)

    # ---- users and VM services ----
    (eq "users: vfioUsers and VM users become group members; no user is created" {
      users = attrNames (cfgOf "vms").users.users;
      vfio = members (cfgOf "vms") "vfio";
      kvm = members (cfgOf "vms") "kvm";
    } {
      # alice is the only one declared (with extraGroups = [ "vfio" ]).
      users = [ "alice" ];
      vfio = [
        "alice"
        "bob"
        "carol"
      ];
      kvm = [ "carol" ];
    })
    (eq "VM services: enabled ones only, start timeout follows waitSeconds" {
      services = filter (hasPrefix "pt-vm@") (attrNames (cfgOf "vms").systemd.services);
      windows = filter (l: builtins.match "(TimeoutStartSec|ExecStart|User|WantedBy)=.*" l != null) (
        unitLines (vmUnit (cfgOf "vms") "windows")
      );
      linuxTimeout = hasLine (vmUnit (cfgOf "vms") "linux") "TimeoutStartSec=${toString (30 + ptLib.vmStartMarginSeconds)}s";
    } {
      services = [
        "pt-vm@linux"
        "pt-vm@windows"
      ];
      windows = [
        "ExecStart=${ptVmOf (cfgOf "vms")} start windows"
        "TimeoutStartSec=330s"
        "WantedBy=multi-user.target"
      ];
      linuxTimeout = true;
    })

    # ---- warnings and assertions, as NixOS collects them ----
    (eq "assertions: all hold, no warning, in the good configurations" (
      map (n: {
        inherit n;
        failed = map (a: a.message) (filter (a: !a.assertion) (cfgOf n).assertions);
        warnings = (cfgOf n).warnings;
      }) (filter (n: n != "gpu-driver-scripted") (attrNames systems))
    ) (map (n: {
      inherit n;
      failed = [ ];
      warnings = [ ];
    }) (filter (n: n != "gpu-driver-scripted") (attrNames systems))))
    (test "warnings: a GPU driver in boot.initrd.kernelModules (scripted stage 1)" (
      any (hasInfix "loads nouveau before pt-agent runs") (cfgOf "gpu-driver-scripted").warnings
    ) "warnings: ${toJSON (cfgOf "gpu-driver-scripted").warnings}")

    # ---- the example ----
    (eq "example: the normal entry has no pt" {
      enabled = (cfgOf "example").hardware.pt.enable;
      params = ptParams (cfgOf "example");
      defined = definedPaths "example";
    } {
      enabled = false;
      params = [ ];
      defined = [ "meta.maintainers" ];
    })
    (eq "example: the windows-vm entry, both stage 1 modes" (
      map (
        n:
        let
          c = spOf n;
        in
        {
          params = sort (a: b: a < b) c.boot.kernelParams;
          label = hasPrefix "windows-vm-" c.system.nixos.label;
          defaultUnit = c.systemd.defaultUnit;
          vm = hasInfix "user = alice\n" c.environment.etc."pt/vm/windows.conf".text;
          initrdUnit = c.boot.initrd.systemd.units ? "pt-agent.service";
          preDevice = hasInfix "pt-agent" c.boot.initrd.preDeviceCommands;
          vfio = members c "vfio";
        }
      ) [
        "example"
        "example-systemd"
      ]
    ) [
      {
        params = [
          "iommu=pt"
          "loglevel=4"
          "pt.devices=10de:1c03@26:00.0,10de:10f1@26:00.1"
        ];
        label = true;
        defaultUnit = "multi-user.target";
        vm = true;
        initrdUnit = false;
        preDevice = true;
        vfio = [ "alice" ];
      }
      {
        params = [
          "iommu=pt"
          "loglevel=4"
          "pt.devices=10de:1c03@26:00.0,10de:10f1@26:00.1"
        ];
        label = true;
        defaultUnit = "multi-user.target";
        vm = true;
        initrdUnit = true;
        preDevice = false;
        vfio = [ "alice" ];
      }
    ])
    (eq "example: the specialisation's assertions and warnings" (
      map (n: {
        failed = map (a: a.message) (filter (a: !a.assertion) (spOf n).assertions);
        inherit (spOf n) warnings;
      }) [ "example" "example-systemd" ]
    ) [
      {
        failed = [ ];
        warnings = [ ];
      }
      {
        failed = [ ];
        warnings = [ ];
      }
    ])
    (eq "flake: nixosModules.default is the file, de-duplicated beside a path import of it" (
      map (n: sys.${n}.options.hardware.pt.enable.declarations) [
        "flake-and-example"
        "flake-and-module"
      ]
    ) [ [ (toString moduleFile) ] [ (toString moduleFile) ] ])
  ];

  # ---- units for systemd-analyze verify, and the files they run ---------------------
  unitSets = concatMap (
    n:
    let
      c = cfgOf n;
      cs =
        [
          {
            name = n;
            config = c;
          }
        ]
        ++ map (s: {
          name = "${n}.${s}";
          config = c.specialisation.${s}.configuration;
        }) (attrNames c.specialisation);
    in
    cs
  ) (attrNames systems);
  units = concatMap (
    { name, config }:
    lib.optional (config.boot.initrd.systemd.units ? "pt-agent.service") {
      dir = "${name}/initrd";
      file = "pt-agent.service";
      text = initrdUnit config;
    }
    ++ mapAttrsToList (vm: _: {
      dir = "${name}/system";
      file = "pt-vm@${vm}.service";
      text = vmUnit config vm;
    }) (lib.filterAttrs (_: v: v.enable) config.hardware.pt.vmServices)
  ) unitSets;
  # Files the units run besides the stand-ins' programs: none since a VM
  # unit runs pt-vm itself (its VM file is checked by the real pt-vm in
  # tests/nix/cases.nix).
  files = [ ];

  # ---- configurations that must fail ------------------------------------------------------
  mutant = name: file: /. + "${mutants}/${name}/nixos/${file}";
  badSystem =
    mf: modules:
    let
      hm = harness mf;
    in
    hm.force (hm.nixosSystem modules);
  bad = {
    # A copy of the module with a misspelt option (run.sh: services ->
    # service in boot.initrd.systemd.services.pt-agent).
    misspelt-option = {
      run = badSystem (mutant "misspelt-option" "module.nix") [
        (mutant "misspelt-option" "module.nix")
        (on { })
        systemdStage1
      ];
      expect = [
        "The option `boot.initrd.systemd.service' does not exist."
        "mutants/misspelt-option/nixos/module.nix"
      ];
    };
    # A copy of the module that gives environment.systemPackages a package
    # instead of a list.
    wrong-type-in-module = {
      run = badSystem (mutant "wrong-type-in-module" "module.nix") [
        (mutant "wrong-type-in-module" "module.nix")
        (on { })
      ];
      expect = [
        "A definition for option `environment.systemPackages' is not of type `list of package'"
        "mutants/wrong-type-in-module/nixos/module.nix"
      ];
    };
    # A copy of the module whose scripted-stage-1 part is not conditional:
    # preDeviceCommands under systemd stage 1.
    pre-device-commands-under-systemd = {
      run = badSystem (mutant "pre-device-commands-under-systemd" "module.nix") [
        (mutant "pre-device-commands-under-systemd" "module.nix")
        (on { })
        systemdStage1
      ];
      expect = [
        "Failed assertions:"
        "systemd stage 1 does not support 'boot.initrd.preDeviceCommands'"
        "mutants/pre-device-commands-under-systemd/nixos/module.nix"
      ];
    };
    # A copy of the module as it was before the fix: group membership by
    # users.users.<name>.extraGroups; a VM user declared nowhere else.
    undeclared-vm-user-before-fix = {
      run = badSystem (mutant "undeclared-vm-user-before-fix" "module.nix") [
        (mutant "undeclared-vm-user-before-fix" "module.nix")
        (on { vmServices.windows.user = "carol"; })
      ];
      expect = [
        "Failed assertions:"
        "Exactly one of users.users.carol.isSystemUser and users.users.carol.isNormalUser must be set"
        "users.users.carol.group is unset"
      ];
    };
    # The shipped example with that copy of the module (alice is declared
    # only in flake.nix).
    example-before-fix = {
      run = badSystem (mutant "undeclared-vm-user-before-fix" "module.nix") [
        (mutant "undeclared-vm-user-before-fix" "examples/windows-vm.nix")
      ];
      expect = [
        "Exactly one of users.users.alice.isSystemUser and users.users.alice.isNormalUser must be set"
      ];
    };
    # The flake as it was: nixosModules.default = import ./module.nix,
    # beside a path import of the same file.
    flake-import-before-fix = {
      run = badSystem moduleFile [
        ((import (mutant "flake-import-before-fix" "flake.nix")).outputs {
          self = { };
          nixpkgs = {
            inherit lib;
            legacyPackages.x86_64-linux = pkgs;
          };
        }).nixosModules.default
        (mutant "flake-import-before-fix" "module.nix")
      ];
      expect = [
        "' in `<unknown-file>' is already declared in `"
        "mutants/flake-import-before-fix/nixos/module.nix"
      ];
    };
    # Wrong types in a user's configuration.
    wrong-type-wait-ms = {
      run = h.force (nixosSystem [
        moduleFile
        (on { waitMs = "2000"; })
      ]);
      expect = [
        "A definition for option `hardware.pt.waitMs' is not of type `null or signed integer'"
      ];
    };
    wait-seconds-beyond-pt-vm = {
      run = h.force (nixosSystem [
        moduleFile
        (on { vmServices.w.waitSeconds = ptLib.vmWaitMaxSeconds + 1; })
      ]);
      expect = [
        "hardware.pt.vmServices.w.waitSeconds' is not of type `integer between 0 and 3600 (both inclusive)'"
      ];
    };
    misspelt-device-field = {
      run = h.force (nixosSystem [
        moduleFile
        (on { devices = [ { adress = "26:00.0"; } ]; })
      ]);
      expect = [
        "adress' does not exist"
      ];
    };
    # The module's own assertions, through NixOS' assertions.
    malformed-device-string = {
      run = h.force (nixosSystem [
        moduleFile
        (on { devices = [ "26:00.8" ]; })
      ]);
      expect = [
        "Failed assertions:"
        "hardware.pt.devices, element 1 (\"26:00.8\"): the function number must be 0-7"
      ];
    };
    malformed-device-in-specialisation = {
      run = h.force (nixosSystem [
        moduleFile
        { specialisation.vm.configuration = on { devices = [ { id = "10de:1c0"; } ]; }; }
      ]);
      expect = [
        "Failed assertions:"
        "hardware.pt.devices, element 1: id \"10de:1c0\""
      ];
    };
    empty-device-list = {
      run = h.force (nixosSystem [
        moduleFile
        (on { devices = [ ]; })
      ]);
      expect = [
        "Failed assertions:"
        "hardware.pt.devices is empty: list the PCI functions to hand to vfio-pci"
      ];
    };
  };
  forceBad = name: bad.${name}.run;
in
{
  inherit
    force
    forceBad
    tests
    units
    files
    expectWarnings
    ;
  systems = attrNames systems;
  bad = builtins.mapAttrs (_: b: { inherit (b) expect; }) bad;
  inherit (h.standin) standins;
}

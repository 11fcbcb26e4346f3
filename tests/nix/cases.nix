# tests/nix/cases.nix — evaluation tests of nixos/lib.nix, nixos/module.nix
# and nixos/examples/, without nixpkgs. Evaluates to a list of
# { name; ok; detail; } that run.sh prints one per line:
#
#   nix-instantiate --eval --strict --json tests/nix/cases.nix
let
  inherit (builtins)
    all
    any
    attrNames
    concatMap
    elem
    filter
    genList
    length
    map
    stringLength
    substring
    toJSON
    ;

  root = ../..;
  ptLib = import (root + "/nixos/lib.nix");
  # A hardware.pt.vmServices value, as the module's options give it.
  vmWin = {
    devices = "10de:1c03, 10de:10f1";
    waitSeconds = 30;
    memory = 8192;
    cpus = 4;
    machine = "q35";
    xVga = false;
    qemu = "/bin/qemu";
    firmware = "ovmf";
    ovmfCode = "/ovmf/FV/OVMF_CODE.fd";
    ovmfVarsTemplate = "/ovmf/FV/OVMF_VARS.fd";
    usb = [
      "046d:c539"
      "0416"
    ];
    disks = [ "/dev/disk/by-id/ata-WIN" ];
    user = "alice";
    qemuArgs = [
      "-cpu"
      "host"
      "-name"
      "it's a VM"
    ];
  };
  grammar = import ./grammar.nix;
  stubs = import ./stubs.nix;
  known = import ./nixos-options.nix;
  moduleFile = root + "/nixos/module.nix";
  exampleFile = root + "/nixos/examples/windows-vm.nix";

  hasInfix =
    needle: hay:
    let
      n = stringLength needle;
    in
    n <= stringLength hay && any (i: substring i n hay == needle) (genList (i: i) (stringLength hay - n + 1));

  # Nix 2.8's toJSON leaves tabs and newlines raw; keep results one-line.
  oneLine = builtins.replaceStrings [ "\t" "\n" "\r" ] [ "\\t" "\\n" "\\r" ];
  test = name: ok: detail: {
    name = oneLine name;
    inherit ok;
    detail = if ok then "" else oneLine detail;
  };
  eq = name: got: expected: test name (got == expected) "got ${toJSON got}, expected ${toJSON expected}";
  # Every message in `msgs` has one of `needles`, and each needle is found.
  messagesHave =
    name: msgs: needles:
    test name (all (n: any (hasInfix n) msgs) needles) "messages ${toJSON msgs} do not all mention ${toJSON needles}";

  store = "/nix/store/00000000000000000000000000000000";
  agent = "${store}-pt-static-0.1.0/bin/pt-agent";
  ptStatus = "${store}-pt-0.1.0/bin/pt-status";

  gtx = [
    {
      id = "10de:1c03";
      address = "26:00.0";
      description = "GTX 1060";
    }
    "10de:10f1@26:00.1"
  ];
  base = {
    devices = gtx;
    groupPolicy = null;
    onFail = null;
    framebuffer = null;
    waitMs = null;
    timeoutMs = null;
    logLevel = null;
    protect = [ ];
    dryRun = false;
    commandLine = true;
    configInInitrd = false;
    vfioGroup = "vfio";
  };
  failed = cfg: ptLib.failedAssertions (base // cfg);
  warned = cfg: ptLib.warnings (base // cfg);

  # ---- grammar -------------------------------------------------------------------
  entryTests = map (
    c:
    let
      err = ptLib.entryError c.text;
      verdict = if c.valid then "valid" else "invalid";
    in
    if c.valid then
      test "grammar: entry ${toJSON c.text} is ${verdict}" (ptLib.isEntry c.text && err == null) "error: ${toJSON err}"
    else
      test "grammar: entry ${toJSON c.text} is ${verdict} (${c.error})" (
        !(ptLib.isEntry c.text) && err != null && hasInfix c.error err
      ) "isEntry ${toJSON (ptLib.isEntry c.text)}, error ${toJSON err}"
  ) grammar.entries;

  listTests = map (
    c:
    let
      r = ptLib.parseList c.text;
      shown = if stringLength c.text > 40 then "${substring 0 37 c.text}... (${toString (stringLength c.text)} chars)" else c.text;
    in
    if c.valid then
      test "grammar: list ${toJSON shown} is valid, ${toString c.n} entries" (
        r.valid && length r.entries == c.n
      ) "got ${toJSON r}"
    else
      test "grammar: list ${toJSON shown} is invalid (${c.error})" (
        !r.valid && hasInfix c.error r.error
      ) "got ${toJSON r}"
  ) grammar.lists;

  # ---- rendering -------------------------------------------------------------------
  renderTests = [
    (eq "render: { id; address; } is the pinned entry id@address" (ptLib.deviceText (
      builtins.head gtx
    )) "10de:1c03@26:00.0")
    (eq "render: { id; } alone, { address; } alone, exclude, blanks trimmed"
      (map ptLib.deviceText [
        { id = "10de:1c03"; }
        { address = "26:00.*"; }
        {
          address = "0a:00.0";
          exclude = true;
        }
        " 26:00.1\t"
        {
          entry = " !0a:00.0 ";
          address = null;
          id = null;
          exclude = false;
        }
      ])
      [
        "10de:1c03"
        "26:00.*"
        "!0a:00.0"
        "26:00.1"
        "!0a:00.0"
      ]
    )
    (eq "kernel params: devices only, by default" (ptLib.kernelParams base) [
      "pt.devices=10de:1c03@26:00.0,10de:10f1@26:00.1"
    ])
    (eq "kernel params: every key"
      (ptLib.kernelParams (
        base
        // {
          groupPolicy = "strict";
          onFail = "keep";
          framebuffer = "release";
          waitMs = 2000;
          timeoutMs = 3000;
          logLevel = "debug";
          protect = [ "8086:a102@00:17.0" "3d:00.0" ];
          dryRun = true;
        }
      ))
      [
        "pt.devices=10de:1c03@26:00.0,10de:10f1@26:00.1"
        "pt.group=strict"
        "pt.onfail=keep"
        "pt.fb=release"
        "pt.wait=2000"
        "pt.timeout=3000"
        "pt.log=debug"
        "pt.protect=8086:a102@00:17.0,3d:00.0"
        "pt.dryrun"
      ]
    )
    (eq "kernel params: none with commandLine = false" (ptLib.kernelParams (
      base
      // {
        commandLine = false;
        configInInitrd = true;
      }
    )) [ ])
    (eq "kernel params: no blanks, so no quoting" (
      any (p: hasInfix " " p || hasInfix "\"" p) (ptLib.kernelParams (base // { devices = [ " 26:00.0 " ]; }))
    ) false)
    (eq "pt.conf text" (ptLib.confText (base // { groupPolicy = "strict"; })) ''
      # /etc/pt.conf, written by the NixOS module (hardware.pt); see pt-agent(8).
      #   10de:1c03@26:00.0: GTX 1060
      devices = 10de:1c03@26:00.0, 10de:10f1@26:00.1
      group = strict
    '')
    (eq "pt.conf: a description cannot break out of its comment" (
      ptLib.confText (
        base
        // {
          devices = [
            {
              address = "26:00.0";
              description = "two\nlines";
            }
          ];
        }
      )
    ) "# /etc/pt.conf, written by the NixOS module (hardware.pt); see pt-agent(8).\n#   26:00.0: two lines\ndevices = 26:00.0\n")
    (eq "pt.conf: devices value reads back as the same list" (ptLib.parseList (ptLib.devicesConfValue gtx)).entries [
      "10de:1c03@26:00.0"
      "10de:10f1@26:00.1"
    ])
    (eq "scripted stage 1: the command runs the agent and cannot stop the boot" (ptLib.scriptedCommands agent) ''
      # pt: hand the listed PCI functions to vfio-pci before udev loads drivers.
      ${agent} || echo "pt-agent failed ($?); no device was handed to vfio-pci by pt" >&2
    '')
    (eq "systemd stage 1: unit attributes" (ptLib.initrdService agent) {
      description = "Hand PCI devices to vfio-pci (pt-agent)";
      wantedBy = [ "sysinit.target" ];
      before = [
        "systemd-modules-load.service"
        "systemd-udevd.service"
        "systemd-udev-trigger.service"
        "sysinit.target"
      ];
      unitConfig = {
        DefaultDependencies = false;
        Documentation = "man:pt-agent(8)";
      };
      serviceConfig = {
        Type = "oneshot";
        RemainAfterExit = true;
        ExecStart = agent;
      };
    })
    (eq "systemd stage 1: unit text" (ptLib.unitText agent) ''
      [Unit]
      Description=Hand PCI devices to vfio-pci (pt-agent)
      Documentation=man:pt-agent(8)
      DefaultDependencies=no
      Before=systemd-modules-load.service systemd-udevd.service systemd-udev-trigger.service sysinit.target

      [Service]
      Type=oneshot
      RemainAfterExit=yes
      ExecStart=${agent}

      [Install]
      WantedBy=sysinit.target
    '')
    (eq "udev rule for /dev/vfio/N" (ptLib.udevRules "vfio") ''
      # pt (hardware.pt.vfioGroup): VFIO groups for members of "vfio"
      SUBSYSTEM=="vfio", KERNEL!="vfio", GROUP="vfio", MODE="0660"
      SUBSYSTEM=="vfio-dev", GROUP="vfio", MODE="0660"
    '')
    (eq "vfio modules: available in the initrd" ptLib.vfioModules [
      "vfio"
      "vfio_iommu_type1"
      "vfio_pci"
    ])
    (eq "VM service: pt-vm start NAME, LimitMEMLOCK = memory + pt-vm's margin" (
      let
        u = ptLib.vmService {
          name = "win";
          ptVm = "/bin/pt-vm";
          vm = vmWin;
          wantedBy = [ "multi-user.target" ];
        };
      in
      {
        inherit (u) wantedBy description;
        inherit (u.serviceConfig) ExecStart LimitMEMLOCK Type;
        user = u.serviceConfig.User or null;
      }
    ) {
      wantedBy = [ "multi-user.target" ];
      description = "pt-vm: VM win with the devices pt bound";
      ExecStart = "/bin/pt-vm start win";
      LimitMEMLOCK = "8320M";
      Type = "simple";
      user = null; # pt-vm drops to vm.user itself, after its checks
    })
    (eq "VM service: the start timeout follows the wait (systemd's 90 s would cut it)"
      (ptLib.vmService {
        name = "win";
        ptVm = "/bin/pt-vm";
        vm = vmWin // { waitSeconds = 300; };
      }).serviceConfig.TimeoutStartSec
      "330s"
    )
    (eq "VM file: every option as a pt-vm key, qemuArgs as extra words" (ptLib.vmConfText "win" vmWin) ''
      # hardware.pt.vmServices.win (NixOS); see pt-vm(8)
      devices = 10de:1c03, 10de:10f1
      wait = 30
      memory = 8192M
      cpus = 4
      machine = q35
      x_vga = no
      qemu = /bin/qemu
      firmware = ovmf
      ovmf_code = /ovmf/FV/OVMF_CODE.fd
      ovmf_vars_template = /ovmf/FV/OVMF_VARS.fd
      usb = 046d:c539, 0416
      disk = /dev/disk/by-id/ata-WIN
      user = alice
      extra = -cpu host -name "it's a VM"
    '')
    (eq "VM udev rules: as pt-vm udev-rules writes them (lower-case ids)" (ptLib.vmUdevRules "win" (vmWin // { usb = [ "046D:C539" "0416" ]; }) "vfio") ''
      # pt-vm win: usb = 046D:C539
      SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device", ATTR{idVendor}=="046d", ATTR{idProduct}=="c539", GROUP="vfio", MODE="0660"
      # pt-vm win: usb = 0416
      SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device", ATTR{idVendor}=="0416", GROUP="vfio", MODE="0660"
    '')
    (eq "VM file: a qemuArgs word pt-vm cannot carry is an evaluation error" (
      (builtins.tryEval (ptLib.vmConfText "win" (vmWin // { qemuArgs = [ "a#b" ]; }))).success
    ) false)
    (eq "VM udev rules: a bad USB id is an evaluation error" (
      (builtins.tryEval (ptLib.vmUdevRules "win" (vmWin // { usb = [ "46d" ]; }) "vfio")).success
    ) false)
  ];

  # ---- assertions and warnings ---------------------------------------------------------
  assertionTests = [
    (eq "assertions: a good configuration passes" (failed { }) [ ])
    (messagesHave "assertions: empty device list" (failed { devices = [ ]; }) [ "hardware.pt.devices is empty" ])
    (messagesHave "assertions: only exclusions" (failed { devices = [ "!0a:00.0" ]; }) [ "only exclusions" ])
    (messagesHave "assertions: bad string entry names element and reason"
      (failed {
        devices = [
          "26:00.0"
          "26:00.8"
        ];
      })
      [
        "hardware.pt.devices, element 2 (\"26:00.8\")"
        "function number must be 0-7"
      ]
    )
    (messagesHave "assertions: two devices in one string" (failed { devices = [ "10de:1c03,10de:10f1" ]; }) [
      "its own entry"
    ])
    (messagesHave "assertions: attribute set without address or id" (failed { devices = [ { description = "x"; } ]; }) [
      "give `address`"
    ])
    (messagesHave "assertions: attribute set with a bad address"
      (failed {
        devices = [
          {
            id = "10de:1c03";
            address = "26:20.0";
          }
        ];
      })
      [
        "address \"26:20.0\""
        "slot number must be 00-1f"
      ]
    )
    (messagesHave "assertions: attribute set with a bad id"
      (failed {
        devices = [
          {
            id = "10de:1c03:1458";
            address = "26:00.0";
          }
        ];
      })
      [ "id \"10de:1c03:1458\"" ]
    )
    (eq "assertions: { entry; } (a coerced string) gives the string's message" (failed {
      devices = [
        "26:00.0"
        {
          entry = "26:00.8";
          address = null;
          id = null;
          description = "";
          exclude = false;
        }
      ];
    }) (failed { devices = [ "26:00.0" "26:00.8" ]; }))
    (messagesHave "assertions: entry beside address, id or exclude"
      (failed {
        devices = [
          {
            entry = "26:00.0";
            exclude = true;
          }
        ];
      })
      [ "element 1: entry \"26:00.0\" is a whole entry; do not set `address`, `id` or `exclude` beside it" ]
    )
    (messagesHave "assertions: more than 64 entries" (failed { devices = genList (_: "26:00.0") 65; }) [ "limit is 64" ])
    (messagesHave "assertions: neither command line nor pt.conf"
      (failed {
        commandLine = false;
        configInInitrd = false;
      })
      [ "nothing tells pt-agent" ]
    )
    (messagesHave "assertions: waitMs out of range" (failed { waitMs = 200000; }) [ "waitMs must be 0-120000" ])
    (messagesHave "assertions: timeoutMs out of range" (failed { timeoutMs = 5; }) [ "timeoutMs must be 10-120000" ])
    (messagesHave "assertions: protect takes addresses only"
      (failed { protect = [ "8086:a102" ]; })
      [ "hardware.pt.protect: \"8086:a102\" is not an address" ]
    )
    (eq "assertions: protect entries that are addresses pass"
      (failed { protect = [ "00:17.0" "0000:3d:00.0" "8086:a102@00:17.0" ]; })
      [ ]
    )
    (messagesHave "assertions: bad group name" (failed { vfioGroup = "vm users"; }) [ "not a valid group name" ])
    (eq "warnings: none for a clean configuration" (warned { }) [ ])
    (messagesHave "warnings: GPU driver in boot.initrd.kernelModules, scripted stage 1"
      (warned {
        initrdKernelModules = [
          "dm_mod"
          "nvidia-drm"
          "amdgpu"
        ];
      })
      [
        "nvidia_drm, amdgpu"
        "boot.initrd.systemd.enable"
      ]
    )
    (eq "warnings: none for a GPU driver in systemd stage 1 (pt runs first)" (warned {
      systemdStage1 = true;
      initrdKernelModules = [ "amdgpu" ];
    }) [ ])
    (messagesHave "warnings: options vfio-pci ids= in boot.extraModprobeConfig"
      (warned { modprobeConfig = "options snd_hda_intel power_save=0\n  options vfio-pci ids=10de:1c03,10de:10f1\n"; })
      [ "options vfio-pci ids=10de:1c03,10de:10f1\"" ]
    )
    (messagesHave "warnings: vfio-pci.ids= is not needed" (warned { otherKernelParams = [ "vfio-pci.ids=10de:1c03" ]; }) [
      "vfio-pci.ids=10de:1c03"
    ])
  ];

  # ---- the module, called with stubs ---------------------------------------------------------
  options0 = (stubs.callModule moduleFile { }).options.hardware.pt;
  callWith =
    {
      set ? { },
      systemd ? false,
      initrdKernelModules ? [ ],
    }:
    let
      cfg = stubs.defaultsOf options0 ({ enable = true; } // set);
      m = stubs.callModule moduleFile {
        hardware.pt = cfg;
        boot.initrd.systemd.enable = systemd;
        boot.initrd.kernelModules = initrdKernelModules;
        boot.kernelParams = [ ];
        boot.extraModprobeConfig = "";
      };
      defs = stubs.definitions known m.config;
    in
    {
      inherit cfg defs;
      paths = stubs.paths defs;
      get = stubs.get defs;
      orderOf = p: map (d: d.order) (filter (d: builtins.concatStringsSep "." d.path == p) defs);
    };
  scripted = callWith { set.devices = gtx; };
  systemdM = callWith {
    set.devices = gtx;
    systemd = true;
  };
  scriptedConf = callWith {
    set = {
      devices = gtx;
      configInInitrd = true;
    };
  };
  systemdConf = callWith {
    set = {
      devices = gtx;
      configInInitrd = true;
      commandLine = false;
    };
    systemd = true;
  };
  withVm = callWith {
    set = {
      devices = gtx;
      vfioUsers = [ "bob" ];
      vmServices.windows = vmWin // {
        enable = true;
        memory = 4096;
        qemuArgs = [ "-vga" "none" ];
        usb = [ "046d:c539" ];
        autoStart = true;
      };
    };
  };
  disabled = callWith { set.enable = false; };
  systemdPaths = filter (p: substring 0 20 p == "boot.initrd.systemd.") ;
  scriptedOnly = [
    "boot.initrd.preDeviceCommands"
    "boot.initrd.extraUtilsCommands"
    "boot.initrd.extraUtilsCommandsTest"
    "boot.initrd.extraFiles"
  ];

  moduleTests = [
    (eq "module: options under hardware.pt" (stubs.missing [
      "enable"
      "package"
      "agentPackage"
      "devices"
      "groupPolicy"
      "onFail"
      "framebuffer"
      "waitMs"
      "timeoutMs"
      "logLevel"
      "dryRun"
      "commandLine"
      "configInInitrd"
      "extraVfioModules"
      "vfioGroup"
      "vfioUsers"
      "vmServices"
    ] (attrNames options0)) [ ])
    (eq "module: every option is declared with mkOption" (filter (n: (options0.${n}._type or null) != "option") (
      attrNames options0
    )) [ ])
    (eq "module: enable = false defines nothing" disabled.paths [ ])
    (eq "module (scripted): defines only NixOS options checked against nixpkgs" (stubs.missing scripted.paths known) [ ])
    (eq "module (systemd): defines only NixOS options checked against nixpkgs" (stubs.missing systemdM.paths known) [ ])
    (eq "module (VM service, pt.conf): defines only NixOS options checked against nixpkgs" (
      stubs.missing (withVm.paths ++ scriptedConf.paths ++ systemdConf.paths) known
    ) [ ])
    (eq "module (scripted): no boot.initrd.systemd.* definitions" (systemdPaths scripted.paths) [ ])
    (eq "module (systemd): none of the scripted hooks (NixOS asserts they are empty)" (
      filter (p: elem p scriptedOnly) (systemdM.paths ++ systemdConf.paths)
    ) [ ])
    (eq "module (scripted): agent first in preDeviceCommands (mkBefore)" {
      text = scripted.get "boot.initrd.preDeviceCommands";
      order = scripted.orderOf "boot.initrd.preDeviceCommands";
    } {
      text = ptLib.scriptedCommands "pt-agent";
      order = [ "order:500" ];
    })
    (eq "module (scripted): static pt-agent copied into extra-utils" (scripted.get "boot.initrd.extraUtilsCommands") ''
      copy_bin_and_libs ${agent}
    '')
    (eq "module (systemd): pt-agent unit and store path" {
      unit = (systemdM.get "boot.initrd.systemd.services").pt-agent;
      storePaths = systemdM.get "boot.initrd.systemd.storePaths";
    } {
      unit = ptLib.initrdService agent;
      storePaths = [ agent ];
    })
    (eq "module: vfio modules available, not force-loaded" {
      available = scripted.get "boot.initrd.availableKernelModules";
      loaded = scripted.get "boot.initrd.kernelModules";
    } {
      available = ptLib.vfioModules;
      loaded = null;
    })
    (eq "module: kernel parameters" (scripted.get "boot.kernelParams") [
      "pt.devices=10de:1c03@26:00.0,10de:10f1@26:00.1"
    ])
    (eq "module: no pt.conf unless configInInitrd" {
      scripted = scripted.get "boot.initrd.extraFiles";
      systemd = systemdM.get "boot.initrd.systemd.contents";
    } {
      scripted = null;
      systemd = null;
    })
    (eq "module (scripted): /etc/pt.conf via boot.initrd.extraFiles" (scriptedConf.get "boot.initrd.extraFiles")
      ."/etc/pt.conf".source.text
      (ptLib.confText scriptedConf.cfg)
    )
    (eq "module (systemd): /etc/pt.conf via boot.initrd.systemd.contents, no kernel parameters" {
      conf = (systemdConf.get "boot.initrd.systemd.contents")."/etc/pt.conf".source.text;
      params = systemdConf.get "boot.kernelParams";
    } {
      conf = ptLib.confText systemdConf.cfg;
      params = [ ];
    })
    (eq "module: pt-status installed, udev rule, vfio group" {
      packages = map (p: p.name) (scripted.get "environment.systemPackages");
      rules = scripted.get "services.udev.extraRules";
      groups = scripted.get "users.groups";
    } {
      packages = [ "pt-0.1.0" ];
      rules = ptLib.udevRules "vfio";
      groups = {
        vfio.members = [ ];
        kvm.members = [ ];
      };
    })
    (eq "module: VM service pt-vm@windows runs pt-vm, its file in /etc/pt/vm" (
      let
        s = (withVm.get "systemd.services")."pt-vm@windows";
        etc = (withVm.get "environment.etc")."pt/vm/windows.conf".text;
      in
      {
        inherit (s.serviceConfig) ExecStart LimitMEMLOCK;
        inherit (s) wantedBy;
        mem = hasInfix "\nmemory = 4096M\n" etc;
        user = hasInfix "\nuser = alice\n" etc;
        extra = hasInfix "\nextra = -vga none\n" etc;
      }
    ) {
      ExecStart = "${store}-pt-0.1.0/bin/pt-vm start windows";
      LimitMEMLOCK = "4224M";
      wantedBy = [ "multi-user.target" ];
      mem = true;
      user = true;
      extra = true;
    })
    (eq "module: the VM's USB devices get a udev rule for vfioGroup" (
      hasInfix ''ATTR{idVendor}=="046d", ATTR{idProduct}=="c539", GROUP="vfio"'' (withVm.get "services.udev.extraRules")
    ) true)
    (eq "module: VM user gets vfio and kvm, vfioUsers get vfio, as group members; no users.users" {
      users = withVm.get "users.users";
      groups = withVm.get "users.groups";
    } {
      users = null;
      groups = {
        vfio.members = [
          "bob"
          "alice"
        ];
        kvm.members = [ "alice" ];
      };
    })
    (messagesHave "module: bad device list reaches NixOS assertions" (
      map (a: a.message) (
        filter (a: !a.assertion) ((callWith { set.devices = [ "26:00.8" ]; }).get "assertions")
      )
    ) [ "function number must be 0-7" ])
    (messagesHave "module: warning for a GPU driver in scripted stage 1" (
      (callWith {
        set.devices = gtx;
        initrdKernelModules = [ "nouveau" ];
      }).get
        "warnings"
    ) [ "nouveau" ])
  ];

  # ---- the example ---------------------------------------------------------------------
  example = stubs.callModule exampleFile { };
  exDefs = stubs.definitions known example;
  special = (stubs.get exDefs "specialisation").windows-vm.configuration;
  spDefs = stubs.definitions known special;
  spPaths = stubs.paths spDefs;
  # hardware.pt of the specialisation, with the defaults NixOS would add
  # to each VM service.
  vmDefaults =
    name:
    builtins.mapAttrs (_: o: o.default or null) (options0.vmServices.type.of.module { inherit name; }).options;
  ptSet = special.hardware.pt // {
    vmServices = builtins.mapAttrs (n: v: vmDefaults n // v) special.hardware.pt.vmServices;
  };
  exCfg = stubs.defaultsOf options0 ptSet;
  exModule = callWith { set = ptSet; };
  orEmpty = v: if v == null then [ ] else v;
  allParams = orEmpty (stubs.get exDefs "boot.kernelParams") ++ orEmpty (stubs.get spDefs "boot.kernelParams");
  notOptions = p: p != "imports" && substring 0 12 p != "hardware.pt.";

  exampleTests = [
    (eq "example: imports the module" (example.imports) [ (root + "/nixos/module.nix") ])
    (eq "example: defines only checked NixOS options and hardware.pt" (
      stubs.missing (filter notOptions (stubs.paths exDefs ++ spPaths)) known
    ) [ ])
    (eq "example: normal entry leaves pt off" (elem "hardware.pt.enable" (stubs.paths exDefs)) false)
    (eq "example: windows-vm kernel parameters" (ptLib.kernelParams exCfg) [
      "pt.devices=10de:1c03@26:00.0,10de:10f1@26:00.1"
    ])
    (eq "example: windows-vm passes every assertion, no warning" {
      failed = ptLib.failedAssertions exCfg;
      warnings = ptLib.warnings exCfg;
    } {
      failed = [ ];
      warnings = [ ];
    })
    (eq "example: no vfio-pci.ids, no blacklist" {
      ids = filter (p: hasInfix "vfio-pci.ids" p || hasInfix "vfio_pci.ids" p) allParams;
      blacklist = filter (p: hasInfix "blacklist" p) (stubs.paths exDefs ++ spPaths);
    } {
      ids = [ ];
      blacklist = [ ];
    })
    (eq "example: display manager off, tagged boot entry" {
      dm = stubs.get spDefs "systemd.services";
      tags = stubs.get spDefs "system.nixos.tags";
    } {
      dm = {
        display-manager.enable = false;
      };
      tags = [ "windows-vm" ];
    })
    (eq "example: the VM service starts at boot, pt-vm drops to alice" (
      let
        s = (exModule.get "systemd.services")."pt-vm@windows";
        etc = (exModule.get "environment.etc")."pt/vm/windows.conf".text;
      in
      {
        inherit (s) wantedBy;
        inherit (s.serviceConfig) LimitMEMLOCK;
        user = hasInfix "\nuser = alice\n" etc;
        ovmf = hasInfix "\nfirmware = ovmf\n" etc;
      }
    ) {
      wantedBy = [ "multi-user.target" ];
      LimitMEMLOCK = "12416M";
      user = true;
      ovmf = true;
    })
  ];
in
entryTests ++ listTests ++ renderTests ++ assertionTests ++ moduleTests ++ exampleTests

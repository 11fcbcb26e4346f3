# nixos/lib.nix — the logic of the pt NixOS module as plain functions.
#
# Only builtins are used here, never nixpkgs' `lib`: this file is imported
# by module.nix and, on machines without nixpkgs, by tests/nix (evaluated
# with `nix-instantiate --eval --strict`). Everything the module decides —
# the device-list grammar, the kernel parameters, the text of /etc/pt.conf,
# the initrd unit, the scripted stage-1 commands, the udev rule, the VM
# launcher, assertions and warnings — is computed here from a plain
# attribute set `cfg` that has the same names as the options under
# `hardware.pt` (see module.nix).
#
# The grammar mirrors agent/spec.c exactly (tests/nix cross-checks the two
# when a C compiler is present):
#
#   list     = entry *( "," entry )       ; blanks (space, tab) around entries
#   entry    = [ "!" ] selector
#   selector = addr / id / id "@" addr
#   addr     = [ domain ":" ] bus ":" slot "." func
#   domain   = 4HEXDIG   bus = 2HEXDIG   slot = 2HEXDIG (00-1f)
#   func     = "0".."7" / "*"
#   id       = vendor ":" device [ ":" subvendor ":" subdevice ]  ; 4HEXDIG each
#
# A blank list is valid and empty; a list longer than 4096 characters or
# with more than 64 entries is rejected, as the agent does.
let
  inherit (builtins)
    concatLists
    concatStringsSep
    elem
    elemAt
    filter
    genList
    head
    isAttrs
    isBool
    isInt
    isString
    length
    map
    match
    replaceStrings
    split
    stringLength
    substring
    tail
    toJSON
    toString
    ;

  # ---- small helpers (what nixpkgs' lib would give) -------------------------
  optional = c: x: if c then [ x ] else [ ];
  optionals = c: xs: if c then xs else [ ];
  optionalString = c: s: if c then s else "";
  chars = s: genList (i: substring i 1 s) (stringLength s);
  isBlank = c: c == " " || c == "\t";
  # Index of the first non-blank character at or after i (or the length).
  skipBlanks =
    s: i:
    if i < stringLength s && isBlank (substring i 1 s) then skipBlanks s (i + 1) else i;
  # Index just after the last non-blank character before j.
  skipBlanksBack = s: j: if j > 0 && isBlank (substring (j - 1) 1 s) then skipBlanksBack s (j - 1) else j;
  trim =
    s:
    let
      a = skipBlanks s 0;
      b = skipBlanksBack s (stringLength s);
    in
    if b <= a then "" else substring a (b - a) s;
  # Split on a literal one-character separator; "a,,b" -> [ "a" "" "b" ].
  splitOn = sep: s: filter isString (split "[${sep}]" s);
  count = c: s: length (filter (x: x == c) (chars s));
  quote = s: "'" + s + "'";
  # Single-quote a word for sh/bash.
  shellQuote = s: "'" + replaceStrings [ "'" ] [ "'\\''" ] s + "'";
  isHexDigit = c: match "[0-9a-fA-F]" c != null;
  firstNonHex = s: let bad = filter (c: !(isHexDigit c)) (chars s); in if bad == [ ] then null else head bad;
  # A description or comment on one line.
  oneLine = s: replaceStrings [ "\n" "\r" ] [ " " " " ] s;

  # ---- the grammar ------------------------------------------------------------
  hex = "[0-9a-fA-F]";
  addrRe = "(${hex}{4}:)?${hex}{2}:[01]${hex}[.][0-7*]";
  idRe = "${hex}{4}:${hex}{4}(:${hex}{4}:${hex}{4})?";
  selectorRe = "(${addrRe}|${idRe}|${idRe}@${addrRe})";
  entryRe = "!?${selectorRe}";

  maxListLength = 4096;
  maxEntries = 64;

  isAddress = s: isString s && match addrRe s != null;
  isId = s: isString s && match idRe s != null;
  # One entry, exactly as written (no blanks: the list syntax allows blanks
  # around entries, see entryText).
  isEntry = s: isString s && match entryRe s != null;

  # Why a hex field is wrong, or null.
  fieldError =
    what: width: f:
    let
      bad = firstNonHex f;
    in
    if f == "" then
      "expected the ${what} (${toString width} hex digits)"
    else if bad != null then
      "${quote bad} is not a hex digit (in the ${what})"
    else if stringLength f != width then
      "the ${what} must be ${toString width} hex digits, found ${toString (stringLength f)} (${quote f})"
    else
      null;

  # The first non-null message; later ones are not evaluated (they may
  # depend on fields the earlier checks found missing).
  firstError = errs: if errs == [ ] then null else if head errs != null then head errs else firstError (tail errs);

  # Why an address is wrong, or null. Follows parse_addr() of agent/spec.c.
  addressError =
    s:
    let
      colons = count ":" s;
      parts = splitOn ":" s;
      hasDomain = colons == 2;
      domain = if hasDomain then elemAt parts 0 else "";
      bus = elemAt parts (if hasDomain then 1 else 0);
      rest = elemAt parts (if hasDomain then 2 else 1);
      dot = splitOn "." rest;
      slot = head dot;
      func = if length dot > 1 then elemAt dot 1 else null;
    in
    if isAddress s then
      null
    else if colons == 0 || colons > 2 then
      "an address is bus:slot.func or domain:bus:slot.func (found ${toString colons} ':' in ${quote s})"
    else
      firstError [
        (if hasDomain then fieldError "PCI domain" 4 domain else null)
        (fieldError "bus number" 2 bus)
        (if length dot < 2 then "expected '.' and the function number after the slot number" else null)
        (fieldError "slot number" 2 slot)
        (if match "[01]${hex}" slot == null then "the slot number must be 00-1f, found ${quote slot}" else null)
        (if length dot > 2 then "the function number is a single digit 0-7 or '*'" else null)
        (
          if func == "" then
            "expected the function number (0-7 or '*')"
          else if match "[0-7*]" func != null then
            null
          else if match "[0-7*].+" func != null then
            "the function number is a single digit 0-7 or '*', found ${quote func}"
          else
            "the function number must be 0-7 or '*', found ${quote func}"
        )
        "not an address: ${quote s}"
      ];

  # Why an id is wrong, or null. Follows parse_id() of agent/spec.c.
  idError =
    s:
    let
      colons = count ":" s;
      parts = splitOn ":" s;
      names = [
        "vendor id"
        "device id"
        "subsystem vendor id"
        "subsystem device id"
      ];
    in
    if isId s then
      null
    else if colons != 1 && colons != 3 then
      "an id is vendor:device or vendor:device:subvendor:subdevice (found ${toString colons} ':' in ${quote s})"
    else
      firstError (genList (i: fieldError (elemAt names i) 4 (elemAt parts i)) (length parts) ++ [ "not an id: ${quote s}" ]);

  # Why one entry (blanks around it already removed) is wrong, or null.
  # Follows parse_entry() of agent/spec.c.
  entryError =
    s:
    let
      excl = substring 0 1 s == "!";
      body = if excl then substring 1 (stringLength s - 1) s else s;
      ats = count "@" body;
      atParts = splitOn "@" body;
      idPart = head atParts;
      addrPart = if ats == 1 then elemAt atParts 1 else "";
    in
    if isEntry s then
      null
    else if s == "" then
      "expected a device (bus:slot.func or vendor:device), found an empty entry"
    else if excl && substring 0 1 body == "!" then
      "'!' may be given only once per entry"
    else if body == "" then
      "expected a device (bus:slot.func or vendor:device) after '!'"
    else if match ".*[ \t,].*" s != null then
      "one entry may not contain blanks or ','; give each device as its own entry"
    else if stringLength s >= 40 then
      "entry ${quote s} is too long to be a device (${toString (stringLength s)} characters)"
    else if ats > 1 then
      "only one '@' may be given per entry"
    else if ats == 1 then
      (
        if idPart == "" then
          "expected vendor:device before '@'"
        else if match ".*[.].*" idPart != null then
          "a pinned entry is vendor:device@address: the id comes first"
        else if idError idPart != null then
          idError idPart
        else if addrPart == "" then
          "expected an address after '@'"
        else
          firstError [
            (addressError addrPart)
            "not an entry: ${quote s}"
          ]
      )
    else if match ".*[.].*" body != null then
      firstError [
        (addressError body)
        "not an entry: ${quote s}"
      ]
    else
      firstError [
        (idError body)
        "not an entry: ${quote s}"
      ];

  # Check a whole list as the agent reads it from pt.devices= or pt.conf.
  # Returns { valid; entries; error; }: entries are the trimmed entries,
  # error is null or "entry N (...): why".
  parseList =
    text:
    let
      pieces = map trim (splitOn "," text);
      blank = trim text == "";
      errs = filter (x: x.error != null) (
        genList (i: {
          n = i + 1;
          text = elemAt pieces i;
          error = entryError (elemAt pieces i);
        }) (length pieces)
      );
      error =
        if stringLength text > maxListLength then
          "the device list is ${toString (stringLength text)} characters long; the limit is ${toString maxListLength}"
        else if blank then
          null
        else if length pieces > maxEntries then
          "the device list has ${toString (length pieces)} entries; the limit is ${toString maxEntries}"
        else if errs != [ ] then
          let
            e = head errs;
          in
          "entry ${toString e.n} (${quote e.text}): ${e.error}"
        else
          null;
    in
    {
      valid = error == null;
      entries = if blank || error != null then [ ] else pieces;
      inherit error;
    };

  # ---- devices: strings or { entry; address; id; description; exclude; } ----
  # (the module coerces a string element to { entry = "…"; }).
  deviceEntry = d: if isAttrs d then d.entry or null else null;
  deviceText =
    d:
    if isString d then
      trim d
    else if deviceEntry d != null then
      trim (deviceEntry d)
    else
      let
        address = d.address or null;
        id = d.id or null;
        sel =
          if address != null && id != null then
            "${id}@${address}"
          else if id != null then
            id
          else if address != null then
            address
          else
            "";
      in
      (if d.exclude or false then "!" else "") + sel;

  deviceDescription = d: if isAttrs d then oneLine (d.description or "") else "";

  # Readable problems with one element of hardware.pt.devices (i is 1-based).
  deviceErrors =
    i: d:
    let
      where = "hardware.pt.devices, element ${toString i}";
      address = d.address or null;
      id = d.id or null;
    in
    if isString d then
      let
        e = entryError (trim d);
      in
      optional (e != null) "${where} (${toJSON d}): ${e}. Valid forms: \"26:00.0\", \"0000:26:00.*\", \"10de:1c03\", \"10de:1c03:1458:3fbb\", \"10de:1c03@26:00.0\", \"!0a:00.0\"."
    else if isAttrs d && deviceEntry d != null then
      if address != null || id != null || (d.exclude or false) then
        [
          "${where}: entry ${toJSON (deviceEntry d)} is a whole entry; do not set `address`, `id` or `exclude` beside it (write \"!…\" in the entry to exclude)"
        ]
      else if isString (deviceEntry d) then
        deviceErrors i (deviceEntry d)
      else
        [ "${where}: entry ${toJSON (deviceEntry d)}: not a string" ]
    else if isAttrs d then
      (optional (
        address == null && id == null
      ) "${where}: give `address` (\"26:00.0\"), `id` (\"10de:1c03\") or both (a pinned entry)")
      ++ (optional (
        address != null && !isAddress address
      ) "${where}: address ${toJSON address}: ${if isString address then addressError address else "not a string"}")
      ++ (optional (id != null && !isId id) "${where}: id ${toJSON id}: ${if isString id then idError id else "not a string"}")
    else
      [ "${where}: expected a string or { entry; address; id; description; exclude; }" ];

  # The device list as the agent reads it.
  devicesValue = devices: concatStringsSep "," (map deviceText devices);
  # The same in pt.conf (blanks are allowed there and read better).
  devicesConfValue = devices: concatStringsSep ", " (map deviceText devices);

  # ---- option values -> pt.* keys -----------------------------------------------
  # Keys whose value is null are left out: the agent's default applies.
  # Defaults of the agent: group auto, onfail release, fb auto, wait 0,
  # timeout 5000, log info, dryrun off.
  settings =
    cfg:
    let
      opt = name: v: optional (v != null) { inherit name; value = toString v; };
    in
    [
      {
        name = "devices";
        value = devicesValue cfg.devices;
      }
    ]
    ++ opt "group" (cfg.groupPolicy or null)
    ++ opt "onfail" (cfg.onFail or null)
    ++ opt "fb" (cfg.framebuffer or null)
    ++ opt "wait" (cfg.waitMs or null)
    ++ opt "timeout" (cfg.timeoutMs or null)
    ++ opt "log" (cfg.logLevel or null)
    ++ optional ((cfg.protect or [ ]) != [ ]) {
      name = "protect";
      value = concatStringsSep "," cfg.protect;
    }
    ++ optional (cfg.dryRun or false) {
      name = "dryrun";
      value = "1";
    };

  # boot.kernelParams: [ "pt.devices=…" … ] when cfg.commandLine is true.
  kernelParams =
    cfg:
    optionals (cfg.commandLine or true) (
      map (s: if s.name == "dryrun" then "pt.dryrun" else "pt.${s.name}=${s.value}") (settings cfg)
    );

  # The text of /etc/pt.conf for the initrd.
  confText =
    cfg:
    let
      described = filter (d: deviceDescription d != "") cfg.devices;
      line = s: if s.name == "devices" then "devices = ${devicesConfValue cfg.devices}" else "${s.name} = ${s.value}";
    in
    concatStringsSep "\n" (
      [ "# /etc/pt.conf, written by the NixOS module (hardware.pt); see pt-agent(8)." ]
      ++ map (d: "#   ${deviceText d}: ${deviceDescription d}") described
      ++ map line (settings cfg)
    )
    + "\n";

  # ---- stage 1 ----------------------------------------------------------------
  # Scripted stage 1 (boot.initrd.preDeviceCommands; ash from extra-utils).
  # pt-agent always exits 0 in boot mode; the `||` only covers a crash,
  # which must not stop the boot either.
  scriptedCommands = agent: ''
    # pt: hand the listed PCI functions to vfio-pci before udev loads drivers.
    ${agent} || echo "pt-agent failed ($?); no device was handed to vfio-pci by pt" >&2
  '';

  # systemd stage 1: the pt-agent unit, in the shape of
  # boot.initrd.systemd.services.<name>. No default dependencies: it runs
  # as soon as PID 1 has mounted /proc, /sys, /dev and /run, before
  # systemd-modules-load (boot.initrd.kernelModules) and before udev's
  # coldplug (systemd-udev-trigger) loads drivers by modalias.
  initrdUnitBefore = [
    "systemd-modules-load.service"
    "systemd-udevd.service"
    "systemd-udev-trigger.service"
    "sysinit.target"
  ];
  initrdService = agent: {
    description = "Hand PCI devices to vfio-pci (pt-agent)";
    wantedBy = [ "sysinit.target" ];
    before = initrdUnitBefore;
    unitConfig = {
      DefaultDependencies = false;
      Documentation = "man:pt-agent(8)";
    };
    serviceConfig = {
      Type = "oneshot";
      RemainAfterExit = true;
      # pt-agent logs to /dev/kmsg itself.
      ExecStart = agent;
    };
  };

  # The unit file that initrdService stands for, as text (documentation and
  # tests; NixOS renders the attribute set itself).
  unitText =
    agent:
    let
      s = initrdService agent;
      b = v: if isBool v then (if v then "yes" else "no") else toString v;
    in
    ''
      [Unit]
      Description=${s.description}
      Documentation=${s.unitConfig.Documentation}
      DefaultDependencies=${b s.unitConfig.DefaultDependencies}
      Before=${concatStringsSep " " s.before}

      [Service]
      Type=${s.serviceConfig.Type}
      RemainAfterExit=${b s.serviceConfig.RemainAfterExit}
      ExecStart=${s.serviceConfig.ExecStart}

      [Install]
      WantedBy=${concatStringsSep " " s.wantedBy}
    '';

  # Modules pt-agent loads itself (libkmod); they must be in the initrd.
  # vfio_pci_core, irqbypass and friends come along as dependencies.
  vfioModules = [
    "vfio"
    "vfio_iommu_type1"
    "vfio_pci"
  ];

  # Host drivers of GPUs and of their HDMI/DP audio functions. When one of
  # these is in boot.initrd.kernelModules, scripted stage 1 loads it before
  # pt-agent runs, and pt-agent has to take the device back (unbind).
  gpuDrivers = [
    "amdgpu"
    "radeon"
    "nouveau"
    "nvidia"
    "nvidia_drm"
    "nvidia_modeset"
    "nvidia_uvm"
    "i915"
    "xe"
    "snd_hda_intel"
  ];
  normModule = m: replaceStrings [ "-" ] [ "_" ] m;

  # ---- after boot --------------------------------------------------------------
  # udev rule for /dev/vfio/<group> (and the iommufd cdevs under
  # /dev/vfio/devices). /dev/vfio/vfio keeps its default mode 0666.
  udevRules = group: ''
    # pt (hardware.pt.vfioGroup): VFIO groups for members of "${group}"
    SUBSYSTEM=="vfio", KERNEL!="vfio", GROUP="${group}", MODE="0660"
    SUBSYSTEM=="vfio-dev", GROUP="${group}", MODE="0660"
  '';

  # A VM service is pt-vm (pt-vm(8)): the module writes the VM's file,
  # /etc/pt/vm/<name>.conf, and runs `pt-vm start <name>` as
  # pt-vm@<name>.service, the unit `make install` installs elsewhere.
  # vm: a hardware.pt.vmServices.<name> value.
  #
  # qemuArgs become `extra =`: words split at blanks, a word with blanks in
  # double quotes. A word with a double quote, a '#' (a comment in the VM
  # file) or a newline cannot be written there.
  vmExtraWord =
    name: w:
    if builtins.match ".*[\"#\n].*" w != null then
      throw "hardware.pt.vmServices.${name}.qemuArgs: '${w}' holds a double quote, '#' or a newline, which a pt-vm file cannot carry"
    else if w == "" || builtins.match ".*[ \t].*" w != null then
      ''"${w}"''
    else
      w;

  # pt-vm's wait = takes 0 to this many seconds (agent/vmconf.h,
  # PT_VM_WAIT_MAX_S; tests/nix/run.sh checks that the two agree).
  vmWaitMaxSeconds = 3600;
  # The unit's start timeout is the wait plus this: time for pt-vm's checks
  # and for QEMU to be started.
  vmStartMarginSeconds = 30;

  vmConfText =
    name: vm:
    concatStringsSep "\n" (
      [ "# hardware.pt.vmServices.${name} (NixOS); see pt-vm(8)" ]
      ++ optional (vm.devices != null) "devices = ${vm.devices}"
      ++ [
        "wait = ${toString vm.waitSeconds}"
        "memory = ${toString vm.memory}M"
        "cpus = ${toString vm.cpus}"
        "machine = ${vm.machine}"
        "x_vga = ${if vm.xVga then "yes" else "no"}"
        "qemu = ${vm.qemu}"
        "firmware = ${vm.firmware}"
      ]
      ++ optionals (vm.firmware == "ovmf") [
        "ovmf_code = ${vm.ovmfCode}"
        "ovmf_vars_template = ${vm.ovmfVarsTemplate}"
      ]
      ++ optional (vm.usb != [ ]) "usb = ${concatStringsSep ", " vm.usb}"
      ++ map (d: "disk = ${d}") vm.disks
      ++ optional (vm.user != null) "user = ${vm.user}"
      ++ optional (vm.qemuArgs != [ ]) "extra = ${
        concatStringsSep " " (map (vmExtraWord name) vm.qemuArgs)
      }"
    )
    + "\n";

  # The USB devices of a VM for `group`, as `pt-vm udev-rules --group` writes them.
  vmUdevRules =
    name: vm: group:
    concatStringsSep "" (
      map (
        u:
        let
          # sysfs writes the ids in lower case
          lower = replaceStrings [ "A" "B" "C" "D" "E" "F" ] [ "a" "b" "c" "d" "e" "f" ];
          vp = match "([0-9a-f]{4}):([0-9a-f]{4})" (lower u);
          v = match "([0-9a-f]{4})" (lower u);
        in
        if vp != null then
          ''
            # pt-vm ${name}: usb = ${u}
            SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device", ATTR{idVendor}=="${elemAt vp 0}", ATTR{idProduct}=="${elemAt vp 1}", GROUP="${group}", MODE="0660"
          ''
        else if v != null then
          ''
            # pt-vm ${name}: usb = ${u}
            SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device", ATTR{idVendor}=="${elemAt v 0}", GROUP="${group}", MODE="0660"
          ''
        else
          throw "hardware.pt.vmServices.${name}.usb: '${u}' is not vendor:product (046d:c539) or vendor (046d) in hex"
      ) vm.usb
    );

  # VFIO pins all guest memory: QEMU (as vm.user, without CAP_IPC_LOCK)
  # needs the guest's memory plus pt-vm's margin (PT_MEMLOCK_MARGIN_MIB).
  vmMemlockMargin = 128;

  # systemd.services."pt-vm@<name>".
  vmService =
    {
      name,
      ptVm,
      vm,
      wantedBy ? [ ],
    }:
    {
      description = "pt-vm: VM ${name} with the devices pt bound";
      documentation = [ "man:pt-vm(8)" ];
      inherit wantedBy;
      after = [
        "local-fs.target"
        "systemd-udevd.service"
      ];
      restartTriggers = [ (vmConfText name vm) ];
      serviceConfig = {
        Type = "simple";
        # pt-vm waits for pt's state (wait =), checks, becomes vm.user and
        # executes QEMU. The start timeout follows the wait, so that systemd
        # never stops the service while pt-vm waits.
        ExecStart = "${ptVm} start ${name}";
        TimeoutStartSec = "${toString (vm.waitSeconds + vmStartMarginSeconds)}s";
        LimitMEMLOCK = "${toString (vm.memory + vmMemlockMargin)}M";
        TimeoutStopSec = 30;
        Restart = "no";
      };
    };

  # ---- checks --------------------------------------------------------------------
  # cfg: the hardware.pt values, plus
  #   systemdStage1        config.boot.initrd.systemd.enable
  #   initrdKernelModules  config.boot.initrd.kernelModules
  #   otherKernelParams    config.boot.kernelParams (may include ours)
  #   modprobeConfig       config.boot.extraModprobeConfig
  # Returns [ { assertion; message; } ], as NixOS' `assertions`.
  assertions =
    cfg:
    let
      devices = cfg.devices or [ ];
      perDevice = concatLists (genList (i: deviceErrors (i + 1) (elemAt devices i)) (length devices));
      rendered = parseList (devicesValue devices);
      including = filter (d: substring 0 1 (deviceText d) != "!") devices;
      check = ok: message: { assertion = ok; inherit message; };
      inRange = lo: hi: v: v == null || (isInt v && v >= lo && v <= hi);
      group = cfg.vfioGroup or "vfio";
    in
    [
      (check (devices != [ ])
        "hardware.pt.devices is empty: list the PCI functions to hand to vfio-pci, for example [ \"10de:1c03@26:00.0\" \"10de:10f1@26:00.1\" ] (`lspci -nn` shows ids and addresses)."
      )
      (check (devices == [ ] || including != [ ])
        "hardware.pt.devices holds only exclusions (\"!…\"): nothing would be handed to vfio-pci."
      )
    ]
    ++ map (m: check false m) perDevice
    ++ [
      (check (perDevice != [ ] || rendered.valid) "hardware.pt.devices: ${toString rendered.error}")
      (check ((cfg.commandLine or true) || (cfg.configInInitrd or false))
        "hardware.pt: commandLine and configInInitrd are both false, so nothing tells pt-agent which devices to take. Set one of them."
      )
      (check (inRange 0 120000 (cfg.waitMs or null)) "hardware.pt.waitMs must be 0-120000 (milliseconds).")
      (check (inRange 10 120000 (cfg.timeoutMs or null)) "hardware.pt.timeoutMs must be 10-120000 (milliseconds).")
    ]
    ++ map (
      p:
      check (isString p && (isAddress p || match "${idRe}@${addrRe}" p != null))
        "hardware.pt.protect: ${toJSON p} is not an address (\"00:17.0\") or a pinned entry (\"8086:a102@00:17.0\")."
    ) (cfg.protect or [ ])
    ++ [
      (check (isString group && match "[a-z_][a-z0-9_-]*" group != null)
        "hardware.pt.vfioGroup ${toJSON group} is not a valid group name."
      )
    ];

  # Failed assertions' messages (what NixOS would print).
  failedAssertions = cfg: map (a: a.message) (filter (a: !a.assertion) (assertions cfg));

  warnings =
    cfg:
    let
      mods = map normModule (cfg.initrdKernelModules or [ ]);
      gpus = filter (m: elem m gpuDrivers) mods;
      params = cfg.otherKernelParams or [ ];
      idsParams = filter (p: match "vfio[-_]pci[.]ids=.*" p != null) params;
      idsOptions = filter (l: match "[ \t]*options[ \t]+vfio[-_]pci[ \t].*ids=.*" l != null) (
        splitOn "\n" (cfg.modprobeConfig or "")
      );
    in
    optional (!(cfg.systemdStage1 or false) && gpus != [ ])
      "hardware.pt: boot.initrd.kernelModules loads ${concatStringsSep ", " gpus} before pt-agent runs (scripted stage 1 loads these modules before boot.initrd.preDeviceCommands). pt-agent will take the devices back (unbind), which some drivers do badly. Remove ${concatStringsSep ", " gpus} from boot.initrd.kernelModules, or use systemd in stage 1 (boot.initrd.systemd.enable = true), where pt-agent runs before systemd-modules-load."
    ++ optional (idsParams != [ ])
      "hardware.pt: boot.kernelParams has ${concatStringsSep " " idsParams}; pt does not need it, and vfio-pci.ids= takes every device with those ids."
    ++ optional (idsOptions != [ ])
      "hardware.pt: boot.extraModprobeConfig has \"${trim (head idsOptions)}\"; pt does not need it, and it makes vfio-pci take every device with those ids.";

in
{
  inherit
    addrRe
    idRe
    entryRe
    maxListLength
    maxEntries
    isAddress
    isId
    isEntry
    addressError
    idError
    entryError
    parseList
    deviceText
    deviceErrors
    devicesValue
    devicesConfValue
    settings
    kernelParams
    confText
    scriptedCommands
    initrdService
    initrdUnitBefore
    unitText
    vfioModules
    gpuDrivers
    udevRules
    vmConfText
    vmUdevRules
    vmMemlockMargin
    vmService
    vmWaitMaxSeconds
    vmStartMarginSeconds
    assertions
    failedAssertions
    warnings
    shellQuote
    trim
    ;
  version = "0.1.0";
}

# tests/nix/stubs.nix — stand-ins for nixpkgs' `lib` and `pkgs`, just
# enough to call nixos/module.nix and the examples as plain functions and
# look at what they define. This is NOT the NixOS module system: there is
# no type checking and no option merging beyond what `definitions` and
# `get` do below. It answers "which option paths does the module set, under
# which conditions, to what values" without nixpkgs.
let
  inherit (builtins)
    attrNames
    concatLists
    concatMap
    concatStringsSep
    elem
    filter
    foldl'
    head
    isAttrs
    isList
    isString
    length
    listToAttrs
    map
    mapAttrs
    ;

  type = name: extra: { _type = "type"; inherit name; } // extra;

  mkOption = attrs: attrs // { _type = "option"; };

  lib = {
    inherit mkOption;
    types = {
      str = type "str" { };
      bool = type "bool" { };
      int = type "int" { };
      package = type "package" { };
      ints.unsigned = type "ints.unsigned" { };
      ints.between = lo: hi: type "ints.between" { inherit lo hi; };
      coercedTo = from: coerce: to: type "coercedTo" { inherit from coerce to; };
      nullOr = t: type "nullOr" { of = t; };
      listOf = t: type "listOf" { of = t; };
      attrsOf = t: type "attrsOf" { of = t; };
      either = a: b: type "either" { of = [ a b ]; };
      enum = values: type "enum" { inherit values; };
      submodule = m: type "submodule" { module = m; };
    };
    mkEnableOption = what: mkOption {
      type = lib.types.bool;
      default = false;
      description = "Whether to enable ${what}.";
    };
    literalExpression = text: { _type = "literalExpression"; inherit text; };
    mkIf = condition: content: { _type = "if"; inherit condition content; };
    mkMerge = contents: { _type = "merge"; inherit contents; };
    mkBefore = content: { _type = "order"; priority = 500; inherit content; };
    mkForce = content: { _type = "override"; priority = 50; inherit content; };
    genAttrs = names: f: listToAttrs (map (n: { name = n; value = f n; }) names);
    inherit elem;
    unique = foldl' (acc: x: if elem x acc then acc else acc ++ [ x ]) [ ];
    inherit filter;
    optional = c: x: if c then [ x ] else [ ];
    mapAttrsToList = f: attrs: map (n: f n attrs.${n}) (attrNames attrs);
    filterAttrs =
      pred: attrs:
      listToAttrs (
        concatMap (n: if pred n attrs.${n} then [ { name = n; value = attrs.${n}; } ] else [ ]) (
          attrNames attrs
        )
      );
    "mapAttrs'" = f: attrs: listToAttrs (map (n: f n attrs.${n}) (attrNames attrs));
    nameValuePair = name: value: { inherit name value; };
  };

  drv = name: {
    type = "derivation";
    inherit name;
    outPath = "/nix/store/00000000000000000000000000000000-${name}";
  };

  pkgs = {
    callPackage = _path: _args: drv "pt-0.1.0";
    pkgsStatic.callPackage = _path: _args: drv "pt-static-0.1.0";
    writeText = name: text: drv name // { inherit text; };
    writeShellScript = name: text: drv name // { inherit text; };
    qemu_kvm = drv "qemu";
    OVMF.fd = drv "OVMF-fd";
  };

  # Flatten a module's `config` into definitions { path; value; order; },
  # resolving mkIf (by its condition), mkMerge, mkBefore and mkForce, and
  # stopping at the known option paths (`leaves`) or at non-attribute sets.
  definitions =
    leaves:
    let
      go =
        path: order: v:
        let
          t = if isAttrs v then v._type or null else null;
          p = concatStringsSep "." path;
        in
        if t == "if" then
          (if v.condition then go path order v.content else [ ])
        else if t == "merge" then
          concatMap (go path order) v.contents
        else if t == "order" || t == "override" then
          go path (v._type + ":" + toString v.priority) v.content
        else if elem p leaves || !(isAttrs v) || v ? outPath || v == { } then
          [ { inherit path order; value = v; } ]
        else
          concatMap (n: go (path ++ [ n ]) order v.${n}) (attrNames v);
    in
    go [ ] null;

  paths = defs: lib.unique (map (d: concatStringsSep "." d.path) defs);

  # The merged value of one option: lists are concatenated, strings joined
  # by newlines (types.lines), attribute sets merged one level deep.
  get =
    defs: p:
    let
      vs = map (d: resolve d.value) (filter (d: concatStringsSep "." d.path == p) defs);
    in
    if vs == [ ] then
      null
    else if isList (head vs) then
      concatLists vs
    else if isString (head vs) then
      concatStringsSep "\n" vs
    else if isAttrs (head vs) then
      foldl' (a: b: a // b) { } vs
    else
      head vs;

  # Resolve mkIf/mkMerge/mkBefore/mkForce inside a value, at any depth
  # (a false mkIf inside an attribute set leaves {}).
  resolve =
    v:
    let
      t = if isAttrs v then v._type or null else null;
    in
    if t == "if" then
      (if v.condition then resolve v.content else { })
    else if t == "merge" then
      foldl' (a: b: a // b) { } (map resolve v.contents)
    else if t == "order" || t == "override" then
      resolve v.content
    else if isAttrs v && !(v ? outPath) then
      mapAttrs (_: resolve) v
    else if isList v then
      map resolve v
    else
      v;

  # Call a NixOS module file with the stubs and a plain `config`.
  callModule = file: config: import file { inherit config lib pkgs; };

  # The values NixOS would give hardware.pt: the module's option defaults,
  # overridden by `set`.
  defaultsOf =
    options: set:
    listToAttrs (
      map (n: {
        name = n;
        value = if set ? ${n} then set.${n} else options.${n}.default or null;
      }) (attrNames options)
    )
    // set;

  # Does every element of `xs` appear in `ys`? (the missing ones otherwise)
  missing = xs: ys: filter (x: !(elem x ys)) xs;

  count = length;
in
{
  inherit
    lib
    pkgs
    definitions
    paths
    get
    resolve
    callModule
    defaultsOf
    missing
    count
    ;
}

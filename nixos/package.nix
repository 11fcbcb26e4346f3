# nixos/package.nix — pt-agent and pt-status, built with the project's Makefile.
#
#   pkgs.callPackage ./package.nix { }            # glibc, shared libkmod/libpci
#   pkgs.pkgsStatic.callPackage ./package.nix { } # musl, fully static: the
#                                                 # pt-agent that goes into the initrd
#
# Static build: nothing special is passed, on purpose. The Makefile's plain
# `make` links with `$(PKG_CONFIG) --libs libkmod` / `libpci` and takes CC,
# PKG_CONFIG and LDFLAGS from the environment, and in pkgsStatic
#   - the pkg-config wrapper is exported as $PKG_CONFIG (target-prefixed,
#     x86_64-unknown-linux-musl-pkg-config) and adds `--static` on its own
#     when the target is static (pkgs/build-support/pkg-config-wrapper:
#     addFlags = "--static"), so Libs.private (liblzma, libzstd, zlib) come
#     along;
#   - the static stdenv adds `-static` to every link (stdenv adapter
#     makeStaticBinaries: NIX_CFLAGS_LINK += -static), and its kmod,
#     pciutils, xz and zstd are built as static libraries (kmod: withStatic,
#     meson default_library=static).
# Passing PKG_CONFIG="pkg-config --static" or LDFLAGS=-static as well would
# only repeat that, and an unprefixed "pkg-config" would be the build
# machine's one in a cross build.
#
# libblkid (util-linux): the Makefile asks pkg-config for blkid — pt-agent
# resolves root=UUID=… with it (the root-disk guard) — so util-linux is an
# input; its dev output carries blkid.pc.
{
  lib,
  stdenv,
  pkg-config,
  kmod,
  pciutils,
  util-linux,
  xz,
  zstd,
  zlib,
}:
let
  static = stdenv.hostPlatform.isStatic;
  root = ../.;
  # Only what the build reads: the Makefile, agent/ and man/ (when there).
  # Edits to nixos/, tests/ or the README do not rebuild pt.
  wanted =
    rel:
    rel == "Makefile"
    || rel == "agent"
    || lib.hasPrefix "agent/" rel
    || rel == "man"
    || lib.hasPrefix "man/" rel;
in
stdenv.mkDerivation {
  pname = if static then "pt-static" else "pt";
  version = (import ./lib.nix).version;

  src = lib.cleanSourceWith {
    src = root;
    name = "pt-source";
    filter = path: _type: wanted (lib.removePrefix (toString root + "/") (toString path));
  };

  strictDeps = true;
  nativeBuildInputs = [ pkg-config ];
  # kmod for pt-agent (libkmod); util-linux for pt-agent (libblkid);
  # pciutils for pt-status (libpci, names). xz, zstd and zlib are what the
  # static libkmod and libpci need at link time; listing them keeps
  # `pkg-config --static` complete.
  buildInputs = [
    kmod
    pciutils
    util-linux
  ]
  ++ lib.optionals static [
    xz
    zstd
    zlib
  ];

  makeFlags = [
    "PREFIX=$(out)"
    # Both programs in bin/, as NixOS expects (the Makefile's default puts
    # pt-agent in sbin/).
    "SBINDIR=$(out)/bin"
    "BINDIR=$(out)/bin"
    "MANDIR=$(out)/share/man"
    # The cc-wrapper's hardening flags already set _FORTIFY_SOURCE; the
    # Makefile's own -D_FORTIFY_SOURCE=2 would redefine it, which -Werror
    # turns into an error.
    "CPPFLAGS="
  ];

  enableParallelBuilding = true;

  # The Makefile's install target builds `all` (pt-agent and pt-status) and
  # installs both.
  doInstallCheck = stdenv.buildPlatform.canExecute stdenv.hostPlatform;
  installCheckPhase = ''
    runHook preInstallCheck
    $out/bin/pt-agent --version
    ${lib.optionalString static ''
      # The initrd copy must not need a dynamic loader.
      if $READELF -l $out/bin/pt-agent | grep -q INTERP; then
        echo "pt-agent is not static" >&2
        exit 1
      fi
    ''}
    runHook postInstallCheck
  '';

  meta = {
    description = "Early-boot VFIO binding agent: hands PCI devices to vfio-pci in the initrd";
    license = lib.licenses.mit;
    platforms = lib.platforms.linux;
    mainProgram = "pt-status";
  };
}

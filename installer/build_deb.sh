#!/usr/bin/env bash
# Build the Debian package of the workstation program, self-contained (its own Python, Qt, SQLCipher):
#
#     bash installer/build_deb.sh            # → dist/noskhe_<version>_<arch>.deb
#
# Needs: the project's virtual environment with the installer extra (`python -m pip install -e '.[installer]'`,
# which brings PyInstaller), binutils and dpkg-deb, and the program's run-time libraries installed on the build
# machine (the package depends on them; installer/README.md lists the apt-get line). NOSKHE_BUILD_CLEAN=1
# throws away PyInstaller's cache in build/installer first. NOSKHE_DEB_COMPRESS=xz makes a smaller package
# (a sixth smaller, minutes slower to build) than the default zstd (dpkg ≥ 1.21.18: Debian 12, Ubuntu).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

if [ -n "${VIRTUAL_ENV:-}" ]; then py=python
elif [ -x "$root/.venv/bin/python" ]; then py="$root/.venv/bin/python"
else py=python3
fi
if ! "$py" -m PyInstaller --version >/dev/null 2>&1; then
    echo "PyInstaller is not installed: . .venv/bin/activate && python -m pip install -e '.[installer]'" >&2
    exit 1
fi
for tool in readelf dpkg-deb dpkg ldconfig; do
    command -v "$tool" >/dev/null || { echo "$tool is missing (Debian: apt-get install binutils dpkg)" >&2; exit 1; }
done

version="$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' "$root/app/__init__.py")"
arch="$(dpkg --print-architecture)"
work="$root/build/installer"
stage="$work/stage"
deb="$root/dist/noskhe_${version}_${arch}.deb"
start=$SECONDS

# 1. The one-folder build: build/installer/dist/noskhe/{noskhe,_internal/}
clean=()
if [ "${NOSKHE_BUILD_CLEAN:-0}" = 1 ]; then clean=(--clean); fi
"$py" -m PyInstaller --noconfirm ${clean[@]+"${clean[@]}"} --log-level WARN \
    --distpath "$work/dist" --workpath "$work/pyinstaller" "$root/installer/noskhe.spec"
test -x "$work/dist/noskhe/noskhe"

# 2. The package's tree: /opt/noskhe, /usr/bin/noskhe, the desktop entry and the icon.
rm -rf "$stage"
mkdir -p "$stage/DEBIAN" "$stage/opt" "$stage/usr/bin" "$stage/usr/share/applications" \
    "$stage/usr/share/icons/hicolor/scalable/apps" "$stage/usr/share/icons/hicolor/256x256/apps" \
    "$stage/usr/share/doc/noskhe"
cp -a "$work/dist/noskhe" "$stage/opt/noskhe"
ln -s ../../opt/noskhe/noskhe "$stage/usr/bin/noskhe"   # relative: also right in an extracted tree
cp "$root/installer/linux/noskhe.desktop" "$stage/usr/share/applications/noskhe.desktop"
cp "$root/installer/linux/noskhe.svg" "$stage/usr/share/icons/hicolor/scalable/apps/noskhe.svg"
cp "$root/installer/linux/noskhe.png" "$stage/usr/share/icons/hicolor/256x256/apps/noskhe.png"
cat > "$stage/usr/share/doc/noskhe/copyright" <<'EOF'
Noskhe — an offline-first client for Iran's national e-prescription program.
License: GPL-3.0-or-later (the full text: /usr/share/common-licenses/GPL-3).
/opt/noskhe/_internal carries Python and the libraries Noskhe uses, each under its own licence
(Qt and PySide6: LGPL-3.0; SQLCipher: BSD-3-Clause; the others as their package metadata states).
EOF
chmod -R u+rwX,go+rX,go-w "$stage"

# 3. Dependencies read from the build's own files: the libraries it needs from the system, and fonts.
depends="$("$py" "$root/installer/debdeps.py" "$stage/opt/noskhe" --extra fonts-noto-core)"
installed_kib="$(du -sk --apparent-size --exclude=DEBIAN "$stage" | cut -f1)"
cat > "$stage/DEBIAN/control" <<EOF
Package: noskhe
Version: $version
Architecture: $arch
Maintainer: Noskhe maintainers <maintainers@noskhe.invalid>
Section: misc
Priority: optional
Installed-Size: $installed_kib
Depends: $depends
Recommends: opensc-pkcs11, pcscd, zbar-tools, softhsm2
Suggests: poppler-utils
Description: offline-first client for Iran's national e-prescription program
 Noskhe (نسخه) lets GPs write and sign prescriptions and pharmacists retrieve,
 check and dispense them, online or through outages: an encrypted local store
 (SQLCipher), signatures on smart cards and USB tokens (PKCS#11), a queue that
 sends every change exactly once when the network is back, and signed paper
 prescriptions verified offline.
 .
 Self-contained: Python and Qt are inside /opt/noskhe. OpenSC (opensc-pkcs11,
 pcscd) reads national ID cards; zbar-tools reads scanned paper QR codes;
 softhsm2 gives the test tokens of the demo (noskhe demo --headless).
EOF

# 4. The .deb, files owned by root.
mkdir -p "$root/dist"
case "${NOSKHE_DEB_COMPRESS:-zstd}" in
    xz) compress=(-Zxz) ;;
    zstd) compress=(-Zzstd -z9) ;;
    *) echo "NOSKHE_DEB_COMPRESS is xz or zstd" >&2; exit 2 ;;
esac
dpkg-deb --root-owner-group "${compress[@]}" --build "$stage" "$deb" >/dev/null
echo "built $deb ($(du -h "$deb" | cut -f1), installed $((installed_kib / 1024)) MiB, $((SECONDS - start)) s)"

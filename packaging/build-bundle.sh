#!/usr/bin/env bash
# Build the one-folder desktop bundle with PyInstaller, then run its --self-check offscreen.
#   packaging/build-bundle.sh          ->  dist/workbench/ (run dist/workbench/workbench)
# The project is installed NON-editable into a venv of its own (build/bundle-venv):
# PyInstaller cannot see an editable install. Needs Qt's X11 libraries (./dev installs
# them) so the xcb platform plugin is bundled with what it links to.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
command -v objdump >/dev/null || {
  echo "build-bundle: PyInstaller needs objdump: apt-get install binutils" >&2; exit 1; }
VENV=build/bundle-venv
start=$(date +%s)

"$PY" -m venv --clear "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q ".[bundle]"
rm -rf dist/workbench
"$VENV/bin/pyinstaller" --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/workbench.spec

built=$(date +%s)
echo "build-bundle: built dist/workbench in $((built - start)) s:" \
  "$(du -sh dist/workbench | cut -f1)," \
  "$(tar -C dist -czf - workbench | wc -c | awk '{printf "%.0f MB", $1 / 1e6}') as a .tar.gz"
# From another directory, with no Python of ours on the path: the bundle stands alone.
cd /
bundle=$OLDPWD/dist/workbench/workbench
env -u PYTHONPATH -u VIRTUAL_ENV QT_QPA_PLATFORM=offscreen "$bundle" --self-check
# And on a real X server when one can be had: proves the bundled xcb plugin and its libraries.
if command -v xvfb-run >/dev/null; then
  env -u PYTHONPATH -u VIRTUAL_ENV -u QT_QPA_PLATFORM xvfb-run -a "$bundle" --self-check
fi

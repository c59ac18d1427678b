#!/usr/bin/env bash
# Builds better-sqlite3 for Electron's ABI in native/electron/, beside (never instead of) the
# Node build in node_modules/ that the CLI and tests use. Needs the internet once: Electron's
# headers are downloaded. Never rebuild node_modules/better-sqlite3 in place: where npm sets
# `nodedir` (as on Debian's npm) that silently yields a Node-ABI binary labelled as Electron's,
# and a failed in-place rebuild deletes the Node build.
set -euo pipefail
cd "$(dirname "$0")/.."

electron_version=$(node -p "require('electron/package.json').version")
abi=$(cat node_modules/electron/abi_version)
binary=native/electron/node_modules/better-sqlite3/build/Release/better_sqlite3.node

if [ -f "$binary" ] && nm -D "$binary" 2>/dev/null | grep -q "node_register_module_v$abi"; then
  echo "native: $binary is already built for Electron $electron_version (ABI $abi)."
  exit 0
fi

npm install --prefix native/electron --ignore-scripts --no-package-lock --no-audit --no-fund
# npm tells scripts where its bundled node-gyp is; called directly, find it beside npm itself.
node_gyp=${npm_config_node_gyp:-$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js}
if ! env -u npm_config_nodedir -u NPM_CONFIG_NODEDIR node "$node_gyp" rebuild --release \
    --directory native/electron/node_modules/better-sqlite3 \
    --runtime=electron --target="$electron_version" --dist-url=https://electronjs.org/headers --nodedir= ; then
  echo "native: could not build better-sqlite3 for Electron $electron_version: Electron's headers must be downloadable (internet) and a C++ toolchain installed." >&2
  exit 1
fi
if ! nm -D "$binary" | grep -q "node_register_module_v$abi"; then
  echo "native: $binary was built, but not for Electron's ABI $abi; refusing to use it." >&2
  exit 1
fi
echo "native: built $binary for Electron $electron_version (ABI $abi)."

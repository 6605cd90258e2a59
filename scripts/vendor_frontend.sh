#!/usr/bin/env bash
# Re-fetch the pinned front-end libraries from the npm registry and copy their built
# distribution files (with licences) into engine/web/static/vendor/. The files are committed so a
# clean clone, a wheel and CI need neither npm nor a network; run this only to change a version.
#
#   scripts/vendor_frontend.sh            # vendor the pinned versions below
#
# To upgrade: change a version, run the script, update the sha256 it prints, run `make test`
# (the browser tests import every shipped workflow into bpmn-js and run axe on every page).
set -euo pipefail

BPMN_JS_VERSION=18.31.1
BPMN_JS_SHA256=060ce3966426bcc8705140ec75626ffb51038d17f54b5dcd1a2f28d36bf797d6
AXE_CORE_VERSION=4.14.1
AXE_CORE_SHA256=e6b0ce02b84d892e2e33e403485e7f3d6c29e2be6df65daf44d89ba564139745

root="$(cd "$(dirname "$0")/.." && pwd)"
vendor="$root/engine/web/static/vendor"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

fetch() {  # fetch NAME VERSION SHA256 -> unpacked into $work/NAME/package
  local name=$1 version=$2 expected=$3 tarball actual
  (cd "$work" && npm pack --silent "$name@$version" >/dev/null)
  tarball="$work/$name-$version.tgz"
  actual="$(sha256sum "$tarball" | cut -d' ' -f1)"
  if [ "$actual" != "$expected" ]; then
    echo "$name@$version: sha256 $actual, expected $expected" >&2
    exit 1
  fi
  mkdir -p "$work/$name"
  tar xzf "$tarball" -C "$work/$name"
}

fetch bpmn-js "$BPMN_JS_VERSION" "$BPMN_JS_SHA256"
fetch axe-core "$AXE_CORE_VERSION" "$AXE_CORE_SHA256"

rm -rf "$vendor/bpmn-js" "$vendor/axe-core"
mkdir -p "$vendor/bpmn-js/assets/bpmn-font/css" "$vendor/bpmn-js/assets/bpmn-font/font" \
  "$vendor/axe-core"

src="$work/bpmn-js/package"
cp "$src/LICENSE" "$vendor/bpmn-js/LICENSE"
cp "$src/dist/bpmn-modeler.production.min.js" "$src/dist/bpmn-navigated-viewer.production.min.js" \
  "$vendor/bpmn-js/"
cp "$src/dist/assets/diagram-js.css" "$src/dist/assets/bpmn-js.css" "$vendor/bpmn-js/assets/"
cp "$src/dist/assets/bpmn-font/css/bpmn.css" "$vendor/bpmn-js/assets/bpmn-font/css/"
cp "$src"/dist/assets/bpmn-font/font/bpmn.{woff2,woff,ttf,eot,svg} \
  "$vendor/bpmn-js/assets/bpmn-font/font/"

# The bundles include bpmn-js's dependencies; list them with their licences.
{
  echo "bpmn-js $BPMN_JS_VERSION bundles these packages (name, version range, licence):"
  node -e 'const p=require(process.argv[1]);for(const [n,v] of Object.entries(p.dependencies))console.log(n+"\t"+v)' \
    "$src/package.json" | while IFS=$'\t' read -r name range; do
      licence="$(npm view --silent "$name@$range" license | tail -n1 | tr -d "'")"
      echo "  $name $range $licence"
    done
  echo "Their licence texts are in each package on https://www.npmjs.com/ ."
} >"$vendor/bpmn-js/THIRD-PARTY.txt"

src="$work/axe-core/package"
cp "$src/axe.min.js" "$src/LICENSE" "$src/LICENSE-3RD-PARTY.txt" "$vendor/axe-core/"

cat >"$vendor/VERSIONS.txt" <<TXT
bpmn-js $BPMN_JS_VERSION (https://www.npmjs.com/package/bpmn-js, bpmn.io licence: keep the watermark visible)
axe-core $AXE_CORE_VERSION (https://www.npmjs.com/package/axe-core, MPL-2.0; used by the browser tests only)
Refresh with scripts/vendor_frontend.sh.
TXT
echo "vendored bpmn-js $BPMN_JS_VERSION and axe-core $AXE_CORE_VERSION into $vendor"

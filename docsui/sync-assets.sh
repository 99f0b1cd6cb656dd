#!/usr/bin/env bash
# Rebuilds docsui/assets/ from the npm packages pinned in docsui/package-lock.json, byte for byte.
# `make generate` runs it; run it by hand after changing a version in package.json (then
# `npm install --prefix docsui` first, to update the lock file). Only the files the pages load and the
# licence files are kept: no source maps, no ES-module builds, no demo pages.
set -euo pipefail
cd "$(dirname "$0")"

npm ci --ignore-scripts --legacy-peer-deps --no-audit --no-fund --loglevel=error

rm -rf assets
mkdir -p assets/swagger-ui assets/redoc

su=node_modules/swagger-ui-dist
for f in swagger-ui.css swagger-ui-bundle.js swagger-ui-standalone-preset.js \
	LICENSE NOTICE swagger-ui-bundle.js.LICENSE.txt swagger-ui-standalone-preset.js.LICENSE.txt; do
	cp "$su/$f" assets/swagger-ui/
done

rd=node_modules/redoc
cp "$rd/bundles/redoc.standalone.js" "$rd/bundles/redoc.standalone.js.LICENSE.txt" "$rd/LICENSE" assets/redoc/

#!/usr/bin/env bash
# Third-party browser code for the web application (htmx, uPlot, Cytoscape.js, Swagger UI, Redoc):
# installed from the npm registry exactly as package-lock.json pins it, then the few files the pages
# load are copied into eams/web/static/vendor/ (gitignored; served by the app, nothing from a CDN).
# Installs Debian's nodejs/npm when missing. Does nothing when the lock file has not changed.
set -euo pipefail
cd "$(dirname "$0")/.."

VENDOR=eams/web/static/vendor
STAMP="$VENDOR/.lock-sha256"
wanted=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$wanted" ]]; then
    exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
    echo "==> installing Debian nodejs and npm (for the web application's browser code)"
    sudo=""
    [[ $(id -u) -eq 0 ]] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

echo "==> installing the web application's browser code (npm ci)"
# --ignore-scripts: no package runs code at install time; we only copy built files out.
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null

rm -rf "$VENDOR"
mkdir -p "$VENDOR"
copy() { cp "node_modules/$1" "$VENDOR/$2"; }
copy htmx.org/dist/htmx.min.js htmx.min.js
copy uplot/dist/uPlot.iife.min.js uplot.min.js
copy uplot/dist/uPlot.min.css uplot.min.css
copy cytoscape/dist/cytoscape.min.js cytoscape.min.js
copy swagger-ui-dist/swagger-ui-bundle.js swagger-ui-bundle.js
copy swagger-ui-dist/swagger-ui.css swagger-ui.css
copy redoc/bundles/redoc.standalone.js redoc.standalone.js
# Redoc's sidebar shows the Redocly logo from its CDN: point it at our own icon, so that /redoc
# loads nothing from outside (tests/web/test_browser.py records every request).
sed -i 's#https://cdn.redoc.ly/redoc/logo-mini.svg#/static/eams/favicon.svg#g' "$VENDOR/redoc.standalone.js"
echo "$wanted" > "$STAMP"

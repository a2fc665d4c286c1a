#!/usr/bin/env bash
# Refresh the translation catalogue after adding or changing a visible string: extracts every
# marked string (templates, eams/web, eams/i18n) into eams/i18n/messages.pot and merges it into
# the Vietnamese catalogue. Then translate the new entries (msgstr "") in
# eams/i18n/locale/vi/LC_MESSAGES/messages.po; tests/web/test_catalogue.py fails until you do.
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL=.venv/bin/pybabel
"$PYBABEL" -q extract -F eams/i18n/babel.cfg -k N_ -k translate:2 -k gettext_for:2 --no-location \
    --sort-output --project eams -o eams/i18n/messages.pot .
PO=eams/i18n/locale/vi/LC_MESSAGES/messages.po
if [[ -s "$PO" ]]; then
    "$PYBABEL" -q update -i eams/i18n/messages.pot -d eams/i18n/locale -l vi --no-fuzzy-matching --ignore-obsolete
else
    "$PYBABEL" -q init -i eams/i18n/messages.pot -d eams/i18n/locale -l vi
fi

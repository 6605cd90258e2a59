#!/usr/bin/env bash
# Keep the page catalogs in step with the code:
#   scripts/translations.sh update    extract the English texts, merge them into fr/messages.po
#   scripts/translations.sh compile   write messages.mo (committed; tests check it is current)
# Translate the new or fuzzy entries in engine/web/translations/fr/LC_MESSAGES/messages.po
# between the two steps.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
dir=engine/web/translations
case "${1:-}" in
  update)
    "$bin/pybabel" extract -F engine/web/babel.cfg -k _ -k N_ -k gettext -k ngettext:1,2 \
      --no-location --sort-output --omit-header -o "$dir/messages.pot" .
    if [ -f "$dir/fr/LC_MESSAGES/messages.po" ]; then
      "$bin/pybabel" update -i "$dir/messages.pot" -d "$dir" -l fr --no-fuzzy-matching --ignore-obsolete
    else
      "$bin/pybabel" init -i "$dir/messages.pot" -d "$dir" -l fr
    fi
    ;;
  compile)
    "$bin/pybabel" compile -d "$dir" --statistics
    ;;
  *)
    echo "usage: $0 update|compile" >&2
    exit 2
    ;;
esac

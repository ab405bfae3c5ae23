#!/usr/bin/env bash
# Every message id the sources use (model/text/i18n.h: tr, trf, N_ and the decision log's
# templates in model/telemetry/decision_log_events.inc) has a translation in each catalogue under
# i18n/, not fuzzy and not empty, whose {fields} are exactly the id's (a missing or extra field
# would make fmt throw at run time, or drop a value). xgettext and msgfmt come from Debian's gettext.
# Usage: catalogue_test.sh SOURCE_DIR PYTHON3
set -u
SRC=$1; PY=${2:-python3}
cd "$SRC" || exit 2
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
mapfile -t files < <(git ls-files 'model/*.cc' 'model/*.h' 'model/*.inc' 'cli/*.cc' 'cli/*.h' 2>/dev/null;
                     git ls-files --others --exclude-standard 'model/*' 'cli/*' 2>/dev/null)
if [ ${#files[@]} -eq 0 ]; then  # not a git checkout (a source tarball): every source file
  mapfile -t files < <(find model cli -name '*.cc' -o -name '*.h' -o -name '*.inc')
fi
xgettext --language=C++ --from-code=UTF-8 --keyword= --keyword=tr --keyword=trf --keyword=N_ \
  --keyword=MESHTWIN_LOG_EVENT:4 --no-location --omit-header -o "$TMP/meshtwin.pot" "${files[@]}" || exit 1
status=0
for po in i18n/*/LC_MESSAGES/meshtwin.po; do
  msgfmt --check -o /dev/null "$po" || { echo "FAIL $po: msgfmt --check"; status=1; }
  # msgcmp: every id of the sources is in the catalogue (untranslated and fuzzy entries do not count).
  msgcmp "$po" "$TMP/meshtwin.pot" 2> "$TMP/msgcmp" || { echo "FAIL $po: ids of the sources missing:"; cat "$TMP/msgcmp"; status=1; }
  "$PY" - "$po" "$TMP/meshtwin.pot" <<'PY' || status=1
import re, sys

def entries(path):
    text = open(path, encoding='utf-8').read()
    out = {}
    for block in text.split('\n\n'):
        fuzzy = '#, fuzzy' in block
        m = re.search(r'^msgid ((?:".*"\n?)+)msgstr ((?:".*"\n?)+)', block + '\n', re.M)
        if not m:
            continue
        unq = lambda s: ''.join(re.findall(r'"((?:[^"\\]|\\.)*)"', s)).replace('\\"', '"').replace('\\\\', '\\')
        msgid, msgstr = unq(m.group(1)), unq(m.group(2))
        if msgid:
            out[msgid] = (msgstr, fuzzy)
    return out

po, pot = entries(sys.argv[1]), entries(sys.argv[2])
fields = lambda s: sorted(re.findall(r'(?<!\{)\{([a-z_]*)\}(?!\})', s))
bad = 0
for msgid in pot:
    msgstr, fuzzy = po.get(msgid, ('', False))
    if not msgstr or fuzzy:
        print(f'FAIL {sys.argv[1]}: untranslated: {msgid!r}'); bad += 1
    elif fields(msgstr) != fields(msgid):
        print(f'FAIL {sys.argv[1]}: fields {fields(msgstr)} of the translation differ from {fields(msgid)}: {msgid!r}'); bad += 1
for msgid in po:
    if msgid not in pot:
        print(f'FAIL {sys.argv[1]}: no source uses {msgid!r} any more (remove it)'); bad += 1
print(f'{sys.argv[1]}: {len(pot)} message ids, {bad} problems')
sys.exit(1 if bad else 0)
PY
done
exit $status

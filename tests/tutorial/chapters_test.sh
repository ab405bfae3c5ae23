#!/usr/bin/env bash
# The tutorial's shape: docs/tutorial/en and docs/tutorial/zh-CN have the same chapter files
# (NN-topic.md), an index README.md linking every chapter and a notes-checked.md; every chapter
# has its scenario folder scenarios/tutorial/NN-topic with scenario.yaml and exercise.yaml (and
# no folder lacks a chapter), and every picture a chapter shows exists.
# Usage: chapters_test.sh SOURCE_DIR
set -u
cd "$1" || exit 2
status=0
fail() { echo "FAIL: $*"; status=1; }
chapters() { (cd "docs/tutorial/$1" && ls [0-9][0-9]-*.md 2>/dev/null); }
en=$(chapters en)
zh=$(chapters zh-CN)
[ -n "$en" ] || fail "docs/tutorial/en has no chapters"
if [ "$en" != "$zh" ]; then
  fail "the two languages cover different chapters"
  diff <(echo "$en") <(echo "$zh") | sed 's/^/  /'
fi
folders=$(cd scenarios/tutorial && ls -d [0-9][0-9]-*/ | tr -d /)
if [ "$(echo "$en" | sed 's/\.md$//')" != "$folders" ]; then
  fail "chapters and scenario folders differ"
  diff <(echo "$en" | sed 's/\.md$//') <(echo "$folders") | sed 's/^/  /'
fi
for lang in en zh-CN; do
  for f in README.md notes-checked.md; do
    [ -f "docs/tutorial/$lang/$f" ] || fail "docs/tutorial/$lang/$f is missing"
  done
  for c in $en; do
    grep -q "($c)" "docs/tutorial/$lang/README.md" || fail "docs/tutorial/$lang/README.md does not link $c"
    grep -q "scenarios/tutorial/${c%.md}/" "docs/tutorial/$lang/$c" || fail "docs/tutorial/$lang/$c does not name its scenario folder"
    # every image a chapter shows exists
    for img in $(grep -o '](\.\./images/[^)]*)' "docs/tutorial/$lang/$c" | sed 's/^](\.\.\/images\///; s/)$//'); do
      [ -f "docs/tutorial/images/$img" ] || fail "docs/tutorial/$lang/$c shows images/$img, which does not exist"
    done
    grep -q '](\.\./images/' "docs/tutorial/$lang/$c" || fail "docs/tutorial/$lang/$c shows no viewer picture"
  done
done
for d in $folders; do
  for f in scenario.yaml exercise.yaml; do
    [ -f "scenarios/tutorial/$d/$f" ] || fail "scenarios/tutorial/$d/$f is missing"
  done
done
[ $status = 0 ] && echo "PASS: $(echo "$en" | wc -l) chapters in both languages, each with its scenario and exercise"
exit $status

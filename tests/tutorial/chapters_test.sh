#!/usr/bin/env bash
# The tutorial's shape: docs/tutorial/en and docs/tutorial/zh-CN have the same chapter files
# (NN-topic.md), an index README.md linking every chapter and a notes-checked.md; every chapter
# has its scenario folder scenarios/tutorial/NN-topic with scenario.yaml and exercise.yaml (and
# no folder lacks a chapter), every picture a chapter shows exists, and "the notes, checked"
# has the same claims in both languages, each backed by tests that exist.
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
# every test "the notes, checked" names exists: check_tutorial_<folder>_<file> is a scenario,
# tutorial_claim_<claim> a claim of claims_test.sh registered in tests/CMakeLists.txt; and every
# registered claim backs a verdict on the page
for lang in en zh-CN; do
  page=docs/tutorial/$lang/notes-checked.md
  [ -f "$page" ] || continue
  # every verdict names the test that pins it (unless the page says the twin cannot check it)
  unbacked=$(awk 'BEGIN { RS = "" } /^\*\*[0-9]+\. / && !/(check_tutorial|tutorial_claim)_[a-z0-9]/ && !/not checked by the twin|孪生体无法验证/ { split($0, w, " "); print w[1] }' "$page")
  [ -z "$unbacked" ] || fail "$page: claims without a test: $(echo $unbacked)"
  for t in $(grep -o 'check_tutorial_[0-9][0-9]-[a-z-]*_[a-z0-9.-]*' "$page" | sort -u); do
    rest=${t#check_tutorial_}
    folder=${rest%%_*}
    file=${rest#*_}
    [ -f "scenarios/tutorial/$folder/$file.yaml" ] || fail "$page names $t, but scenarios/tutorial/$folder/$file.yaml does not exist"
  done
  for t in $(grep -o 'tutorial_claim_[a-z0-9][a-z0-9-]*' "$page" | sort -u); do
    c=${t#tutorial_claim_}
    grep -qE "^$c\)" tests/tutorial/claims_test.sh || fail "$page names $t, which claims_test.sh does not check"
    grep -qE "(^|[ (])$c( |\)|$)" tests/CMakeLists.txt || fail "$page names $t, which tests/CMakeLists.txt does not register"
  done
  for c in $(sed -n '/^foreach(claim/,/)$/p' tests/CMakeLists.txt | sed 's/foreach(claim//; s/)//'); do
    grep -q "tutorial_claim_$c\b" "$page" || fail "claim test $c backs no verdict of $page"
  done
done
# both languages check the same claims
n_en=$(grep -cE '^\*\*[0-9]+\. ' docs/tutorial/en/notes-checked.md 2>/dev/null)
n_zh=$(grep -cE '^\*\*[0-9]+\. ' docs/tutorial/zh-CN/notes-checked.md 2>/dev/null)
[ "$n_en" = "$n_zh" ] || fail "notes-checked.md has $n_en claims in English and $n_zh in Chinese"
for d in $folders; do
  for f in scenario.yaml exercise.yaml; do
    [ -f "scenarios/tutorial/$d/$f" ] || fail "scenarios/tutorial/$d/$f is missing"
  done
done
[ $status = 0 ] && echo "PASS: $(echo "$en" | wc -l) chapters and $n_en checked claims in both languages, each chapter with its scenario and exercise"
exit $status

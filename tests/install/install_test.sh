#!/usr/bin/env bash
# meshtwin works where it is installed (docs/install.md): the programs are called by absolute
# path from an unrelated folder, find their data as ../share/meshtwin beside their own folder,
# run the installed Bookinfo scenario and report it, with no LD_LIBRARY_PATH (they link Debian's
# libraries only).
# Usage: install_test.sh MODE BUILD_DIR VERSION, MODE one of
#   staged  cmake --install BUILD_DIR --prefix /usr with DESTDIR=a temporary folder
#   deb     cpack of BUILD_DIR (the .deb `make package` writes), unpacked with dpkg -x into a
#           temporary root; also the package's fields and dependencies
#   build   the build tree itself: BUILD_DIR/cli/meshtwin with BUILD_DIR/share/meshtwin
set -u
MODE=$1; BUILD=$(cd "$2" && pwd); VERSION=$3
TMP=$(mktemp -d /tmp/meshtwin-install-test.XXXXXX); trap 'rm -rf "$TMP"' EXIT
unset LD_LIBRARY_PATH
pass=0; fail=0
ok() { pass=$((pass+1)); }
bad() { echo "FAIL $*"; fail=$((fail+1)); }
check() {  # name, expected exit code, expected output regex (stdout+stderr), command...
  local name=$1 want=$2 pattern=$3; shift 3
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" -ne "$want" ]; then
    bad "$name: exit $rc, want $want"; echo "$out" | head -5; return
  fi
  if [ -n "$pattern" ] && ! grep -Eq -- "$pattern" <<<"$out"; then
    bad "$name: output does not match /$pattern/"; echo "$out" | head -5; return
  fi
  ok
}

case $MODE in
  staged)
    if ! DESTDIR="$TMP/root" cmake --install "$BUILD" --prefix /usr >"$TMP/install.log" 2>&1; then
      cat "$TMP/install.log"; echo "FAIL cmake --install"; exit 1
    fi
    PREFIX=$TMP/root/usr; BIN=$PREFIX/bin/meshtwin; VIEWER=$PREFIX/bin/meshtwin-viewer
    DATA=$PREFIX/share/meshtwin ;;
  deb)
    # The package of the tree ctest runs in, as `make package` builds it for the release tree.
    if ! cpack --config "$BUILD/CPackConfig.cmake" -B "$TMP/pkg" >"$TMP/cpack.log" 2>&1; then
      cat "$TMP/cpack.log"; echo "FAIL cpack"; exit 1
    fi
    debs=("$TMP"/pkg/meshtwin_*.deb)
    [ ${#debs[@]} -eq 1 ] && [ -f "${debs[0]}" ] || { echo "FAIL no single .deb: ${debs[*]}"; exit 1; }
    DEB=${debs[0]}
    dpkg -x "$DEB" "$TMP/root" || { echo "FAIL dpkg -x $DEB"; exit 1; }
    PREFIX=$TMP/root/usr; BIN=$PREFIX/bin/meshtwin; VIEWER=$PREFIX/bin/meshtwin-viewer
    DATA=$PREFIX/share/meshtwin ;;
  build)
    PREFIX=""; BIN=$BUILD/cli/meshtwin; VIEWER=""; DATA=$BUILD/share/meshtwin ;;
  *) echo "unknown mode $MODE"; exit 2 ;;
esac

mkdir -p "$TMP/elsewhere"
cd "$TMP/elsewhere" || exit 1

# --- the command, by absolute path, from a folder that has nothing of meshtwin's
check version 0 "^meshtwin $VERSION\$" "$BIN" --version
out=$("$BIN" --data-dir)
if [ "$(realpath -m "$out")" = "$(realpath -m "$DATA")" ]; then ok; else bad "data-dir: '$out', want $DATA"; fi
SCENARIO=$DATA/scenarios/bookinfo/reviews-80-20.yaml
[ -f "$SCENARIO" ] && ok || bad "installed scenario missing: $SCENARIO"
check run-absolute 0 'run 1 of bookinfo-reviews-80-20 written to' \
  "$BIN" run "$SCENARIO" -o "$TMP/elsewhere/abs.db" -q
check report-absolute 0 'reviews\.default\.svc\.cluster\.local +v2' "$BIN" report "$TMP/elsewhere/abs.db"
# --lang zh-CN finds its catalogue in the data folder (share/meshtwin/locale), and trace re-simulates
# a run from the file alone.
check trace-zh-CN 0 '结果：.* 后得到 200' "$BIN" trace "$TMP/elsewhere/abs.db" 1 --lang zh-CN

# --- a scenario not found here is the installed one: same file, so the same report
check run-bare-name 0 'written to bare.db' "$BIN" run bookinfo/reviews-80-20.yaml -o bare.db -q
check run-bare-name-note 0 "running the installed .*/scenarios/bookinfo/reviews-80-20.yaml" \
  "$BIN" run bookinfo/reviews-80-20.yaml -o bare-v.db -q -v
check run-docs-path 0 'written to docs.db' "$BIN" run scenarios/bookinfo/reviews-80-20.yaml -o docs.db -q
report_body() { "$BIN" report "$1" 2>&1 | grep -v -e 'wall' -e '^meshtwin report'; }
if [ -n "$(report_body bare.db)" ] && [ "$(report_body bare.db)" = "$(report_body abs.db)" ]; then
  ok
else
  bad "report of the bare-name run differs from the absolute-path run"
fi
check missing 2 "bookinfo/nope\.yaml: error: .*No such file or directory.*installed scenarios in .*share/meshtwin/scenarios" \
  "$BIN" run bookinfo/nope.yaml -o x.db
check missing-absolute 2 "^$TMP/nope\.yaml: error: .*No such file or directory\$" "$BIN" run "$TMP/nope.yaml" -o x.db
# A file that is there is the one meant: a broken local bookinfo/reviews-80-20.yaml is read
# (exit 2 naming it), never silently replaced by the installed one.
mkdir -p local/bookinfo && echo 'kind: [' >local/bookinfo/reviews-80-20.yaml
cd local
check local-wins 2 '^bookinfo/reviews-80-20\.yaml:' "$BIN" run bookinfo/reviews-80-20.yaml -o x.db
cd ..
# Scenarios that reach into ../../../third_party/istio-samples keep working: the data folder
# mirrors the source tree's layout.
check third-party-relative 0 'written to tut.db' \
  "$BIN" run tutorial/03-destinationrule/scenario.yaml -o tut.db -q --duration 1s
# check runs a scenario too (prepare_run): the fallback applies to it.
check check-bare-name 0 '' "$BIN" check bookinfo/gateway.yaml -q

if [ "$MODE" = build ]; then
  echo "$MODE: $pass passed, $fail failed"
  [ $fail -eq 0 ]; exit
fi

# --- what else the install holds
for f in share/meshtwin/third_party/istio-samples/LICENSE share/meshtwin/third_party/istio-samples/NOTICE.md \
         share/meshtwin/scenarios/bookinfo/manifests/NOTICE.md share/doc/meshtwin/README.md \
         share/doc/meshtwin/docs/quickstart.md share/doc/meshtwin/docs/install.md; do
  [ -s "$PREFIX/$f" ] && ok || bad "missing $f"
done
# One man page per subcommand that --help lists, and the overview page.
subs=$("$BIN" --help | sed -n '/^Subcommands:/,$p' | awk 'NR > 1 && /^  [a-z]/ {print $1}')
[ -n "$subs" ] || bad "no subcommands in --help"
for page in meshtwin $(printf 'meshtwin-%s\n' $subs) ${VIEWER:+meshtwin-viewer}; do
  f=$PREFIX/share/man/man1/$page.1.gz
  if zcat "$f" 2>/dev/null | grep -q "^\.TH \"\?${page^^}\"\? \"1\""; then ok; else bad "man page $f"; fi
done
# System libraries only: no run path into a build tree, every library found by the loader.
for exe in "$BIN" ${VIEWER:+"$VIEWER"}; do
  if readelf -d "$exe" | grep -Eq 'RPATH|RUNPATH'; then bad "$exe has a run path"; else ok; fi
  if ldd "$exe" | grep -q 'not found'; then bad "$exe: $(ldd "$exe" | grep 'not found')"; else ok; fi
done
# The viewer from the install draws the run (offscreen: no display here).
if [ -x "$VIEWER" ]; then
  check viewer 0 '' env QT_QPA_PLATFORM=offscreen "$VIEWER" abs.db --screenshot shots
  for png in overview charts graph requests; do
    if [ "$(head -c 4 "shots/$png.png" 2>/dev/null | od -An -c | tr -d ' ')" = '211PNG' ]; then ok; else bad "viewer: shots/$png.png is not a PNG"; fi
  done
fi

if [ "$MODE" = deb ]; then
  field() { dpkg-deb -f "$DEB" "$1"; }
  [ "$(field Package)" = meshtwin ] && ok || bad "Package: $(field Package)"
  [ "$(field Version)" = "$VERSION" ] && ok || bad "Version: $(field Version), want $VERSION"
  [ "$(field Architecture)" = "$(dpkg --print-architecture)" ] && ok || bad "Architecture: $(field Architecture)"
  grep -Eq '^[^<]+ <[^>]+@[^>]+>$' <<<"$(field Maintainer)" && ok || bad "Maintainer: $(field Maintainer)"
  [ -n "$(field Section)" ] && ok || bad "no Section"
  grep -q 'digital twin of an Istio service mesh' <<<"$(field Description)" && ok || bad "Description"
  depends=$(field Depends)
  # From dpkg-shlibdeps (what the binaries link) and by hand (what Qt loads at run time).
  for need in libc6 libstdc++6 libsqlite3-0 libyaml-cpp libre2 libfmt libqt6widgets6 libqt6charts6 \
              qt6-qpa-plugins fonts-dejavu-core; do
    grep -q "\b$need" <<<"$depends" && ok || bad "Depends lacks $need: $depends"
  done
  # Every dependency names a real Debian package at a version this machine has (the one that
  # built the package), so apt can resolve it on Debian 12: read-only, no dpkg lock needed.
  IFS=',' read -ra deps <<<"$depends"
  for dep in "${deps[@]}"; do
    dep=$(sed 's/^ *//; s/ *$//' <<<"$dep")
    name=${dep%% *}; constraint=""
    [[ $dep =~ \(([<>=]+)\ ([^\)]+)\) ]] && constraint="${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"
    installed=$(dpkg-query -W -f='${Version}' "$name" 2>/dev/null)
    if [ -z "$installed" ]; then bad "Depends: $name is not an installed package"; continue; fi
    if [ -n "$constraint" ]; then
      op=${constraint%% *}; ver=${constraint#* }
      case $op in '>=') op=ge ;; '<=') op=le ;; '=') op=eq ;; '>>') op=gt ;; '<<') op=lt ;; esac
      dpkg --compare-versions "$installed" "$op" "$ver" && ok || bad "Depends: $name $constraint, have $installed"
    else
      ok
    fi
  done
fi

# --- a moved install still finds its own data
mv "$TMP/root" "$TMP/moved"
MOVED=${BIN/$TMP\/root/$TMP\/moved}
out=$("$MOVED" --data-dir)
[ "$(realpath -m "$out")" = "$TMP/moved/usr/share/meshtwin" ] && ok || bad "moved: data-dir $out"
check moved-run 0 'written to moved.db' "$MOVED" run bookinfo/reviews-80-20.yaml -o moved.db -q
check moved-lang 0 '^请求：从 default/productpage-v1' "$MOVED" explain -f "$TMP/moved/usr/share/meshtwin/scenarios/bookinfo/manifests/bookinfo.yaml" \
  --from productpage-v1 http://reviews:9080/reviews/0 --lang zh-CN

echo "$MODE: $pass passed, $fail failed"
[ $fail -eq 0 ]

# embed.sh - visionbatch as a third party uses it: the build installed into a temporary
# prefix, examples/embed.c compiled against it with pkg-config alone (the shared
# library, then libvisionbatch.a with --static flags), both run against the simulator;
# the installed tree holds the public header only and the shared library exports vb_*
# names only; the installed CLI runs from the prefix.
source "$(dirname "$0")/lib.sh"
: "${VB_BUILD:?VB_BUILD must name the build directory (tests/CMakeLists.txt sets it)}"
: "${VB_GEN:?VB_GEN must name the vb-sample-images binary}"
CC=${CC:-cc}
read -r -a extra <<<"${VB_EMBED_CFLAGS:-}" # the sanitizer build's flags: its library needs them

P="$TMP/prefix"
cmake --install "$VB_BUILD" --prefix "$P" >"$TMP/install.log" 2>&1 ||
    { cat "$TMP/install.log" >&2; fail "cmake --install failed"; }
for f in bin/visionbatch bin/visionbatch-sim share/visionbatch/pricing.json \
    lib/libvisionbatch.so.0.1.0 lib/libvisionbatch.a include/visionbatch.h \
    lib/pkgconfig/visionbatch.pc; do
    [ -f "$P/$f" ] || fail "not installed: $f"
done
[ "$(readlink "$P/lib/libvisionbatch.so.0")" = libvisionbatch.so.0.1.0 ] || fail "libvisionbatch.so.0"
[ "$(readlink "$P/lib/libvisionbatch.so")" = libvisionbatch.so.0 ] || fail "libvisionbatch.so"
[ "$(ls -A "$P/include")" = visionbatch.h ] || fail "the include dir holds more: $(ls -A "$P/include")"
soname=$(objdump -p "$P/lib/libvisionbatch.so.0.1.0" | awk '$1 == "SONAME" {print $2}')
[ "$soname" = libvisionbatch.so.0 ] || fail "soname $soname"

# only the public names leave the shared library (and the public ones do)
nm -D --defined-only "$P/lib/libvisionbatch.so" | awk '{print $NF}' >"$TMP/exports"
grep -qx vb_job_run "$TMP/exports" || fail "vb_job_run is not exported"
grep -qx vb_journal_open "$TMP/exports" || fail "vb_journal_open is not exported"
others=$(grep -v '^vb_' "$TMP/exports" || true)
[ -z "$others" ] || fail "the shared library exports non-vb_ symbols: $others"

# the installed CLI runs from the prefix, on the installed library
version=$(sed -n 's/^#define VB_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)$/\2/p' \
    "$P/include/visionbatch.h" | paste -sd.)
[ "$("$P/bin/visionbatch" --version)" = "visionbatch $version" ] || fail "installed --version"
"$P/bin/visionbatch-sim" --version | grep -qx "visionbatch-sim $version" || fail "installed sim"
# loads PROGRAM [env...]: the file libvisionbatch.so.0 resolves to for PROGRAM, or nothing
loads() { env "${@:2}" ldd "$1" | awk '$1 == "libvisionbatch.so.0" {print $3}' | xargs -r realpath; }
installed_lib=$(realpath "$P/lib/libvisionbatch.so.0")
[ "$(loads "$P/bin/visionbatch")" = "$installed_lib" ] ||
    { ldd "$P/bin/visionbatch" >&2; fail "the installed CLI does not use the installed library"; }

export PKG_CONFIG_PATH="$P/lib/pkgconfig"
[ "$(pkg-config --modversion visionbatch)" = "$version" ] || fail "visionbatch.pc version"
cflags=$(pkg-config --cflags visionbatch)
# (pkg-config adds the Requires.private packages' flags too: visionbatch.h needs none)
case "$cflags" in "-I$P/include "* | "-I$P/include") ;; *) fail "cflags: $cflags" ;; esac
# shared: what pkg-config says and nothing else
"$CC" "${extra[@]}" "$VB_SRC/examples/embed.c" -o "$TMP/embed-shared" \
    $(pkg-config --cflags --libs visionbatch) 2>"$TMP/cc-shared.err" ||
    { cat "$TMP/cc-shared.err" >&2; fail "embed.c does not build against the shared library"; }
# static: libvisionbatch.a by name, then everything it needs from pkg-config --static
static_libs=$(pkg-config --static --libs visionbatch | sed -E 's/(^| )-lvisionbatch( |$)/\1-l:libvisionbatch.a\2/')
"$CC" "${extra[@]}" "$VB_SRC/examples/embed.c" -o "$TMP/embed-static" $cflags $static_libs \
    2>"$TMP/cc-static.err" ||
    { cat "$TMP/cc-static.err" >&2; fail "embed.c does not build against libvisionbatch.a"; }
[ "$(loads "$TMP/embed-shared" LD_LIBRARY_PATH="$P/lib")" = "$installed_lib" ] ||
    fail "embed-shared does not load the installed library"
ldd "$TMP/embed-static" | grep -q libvisionbatch && fail "embed-static depends on libvisionbatch.so"

mkdir -p "$TMP/photos"
gen_images "$TMP/photos" 25 --seed 9 --min-side 64 --max-side 600
start_sim --latency-ms 10
check() { # NAME: its output holds one ok line per image and the totals
    local out="$TMP/$1.out"
    [ "$(grep -c "$(printf '\tok\t')" "$out")" -eq 25 ] || { cat "$out" >&2; fail "$1: not 25 ok lines"; }
    [ "$(wc -l <"$out")" -eq 26 ] || { cat "$out" >&2; fail "$1: extra lines"; }
    grep -q "^visionbatch $version: 25 images, 25 ok, 0 failed, " "$out" ||
        { cat "$out" >&2; fail "$1: no summary line"; }
    for f in "$TMP"/photos/*; do # a walked file's id: the folder's name + its own
        grep -q "^photos/${f##*/}$(printf '\t')ok$(printf '\t')." "$out" ||
            fail "$1: no ok answer for $f"
    done
}
LD_LIBRARY_PATH="$P/lib" "$TMP/embed-shared" "$SIM_URL" "$TMP/photos" >"$TMP/shared.out" \
    2>"$TMP/shared.err" || { cat "$TMP/shared.err" >&2; fail "embed-shared failed"; }
check shared
"$TMP/embed-static" "$SIM_URL" "$TMP/photos" >"$TMP/static.out" 2>"$TMP/static.err" ||
    { cat "$TMP/static.err" >&2; fail "embed-static failed"; }
check static
echo "embed: ok"

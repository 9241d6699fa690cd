# make install into a DESTDIR: the installed driver runs from there and
# finds its companions under PREFIX, not in the build tree.
source "$(dirname "$0")/lib.sh"
root="$TMP/root"
make -s -C "$(dirname "$0")/../.." install PREFIX=/opt/ms DESTDIR="$root" BUILD="$BUILD" > "$TMP/install.log" 2>&1
check_eq "make install exits 0" $? 0
check_status "installed driver runs" 0 "$root/opt/ms/bin/memsleuth" --version
check_match "installed driver names its version" "$(cat "$TMP/out")" "^memsleuth [0-9]"
check_eq "man pages installed" "$(ls "$root/opt/ms/share/man/man1" | grep -c '^memsleuth')" "$(ls "$(dirname "$0")/../../docs/man" | grep -c '^memsleuth')"
check_status "installed doctor works" 0 "$root/opt/ms/bin/memsleuth" doctor --json

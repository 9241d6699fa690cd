# A real JVM: overview recognises it, reads its version from JAVA_HOME/release
# and offers NMT and System.trim_native_heap only when the JDK has it.
source "$(dirname "$0")/lib.sh"
if ! command -v java >/dev/null || ! command -v javac >/dev/null || ! command -v jcmd >/dev/null; then
	skip "jvm: no JDK (java, javac, jcmd) on this host"; exit 0
fi
cat > "$TMP/Hold.java" <<'J'
public class Hold { public static void main(String[] a) throws Exception { System.out.println("ready"); System.out.flush(); Thread.sleep(120000); } }
J
javac -d "$TMP" "$TMP/Hold.java" || { fail "jvm: javac"; exit 0; }
java -Xmx64m -cp "$TMP" Hold > "$TMP/java.out" 2>&1 & jp=$!; _pids+=("$jp")
for _ in $(seq 1 100); do grep -q ready "$TMP/java.out" && break; sleep 0.1; done
"$MS" overview --json "$jp" > "$TMP/ov.json"
home=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
want_ver=$(sed -n 's/^JAVA_VERSION="\(.*\)"/\1/p' "$home/release")
check_eq "jvm: version from JAVA_HOME/release" "$(jq -r .jvm.version "$TMP/ov.json")" "$want_ver"
has_trim=$(jcmd "$jp" help 2>/dev/null | grep -c 'System.trim_native_heap')
if [ "$has_trim" = 1 ]; then want=true; else want=false; fi
check_eq "jvm: trim_native_heap agrees with 'jcmd PID help'" "$(jq -r .jvm.trim_native_heap "$TMP/ov.json")" "$want"
check_match "jvm: verdicts name NMT and trim_native_heap commands" "$(jq -r '.verdicts[].next' "$TMP/ov.json")" "jcmd $jp VM.native_memory summary.*jcmd $jp System.trim_native_heap"
check_within "jvm: class RSS sums to smaps_rollup Rss" "$(jq -r .class_rss_sum_bytes "$TMP/ov.json")" "$(awk '/^Rss:/ {print $2 * 1024}' /proc/$jp/smaps_rollup)" 1
check_cmp "jvm: its threads' stacks are found (at least 10)" "$(jq -r .stacks_matched "$TMP/ov.json")" -ge 10

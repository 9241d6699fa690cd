// A JVM whose memory is its own Java heap: MIB MiB of byte[] filled and
// kept live, the native side small.  The guide's answer is the runtime
// heap; the short watch before judging only sees the JVM settle (a few
// MiB), which must not lead the conclusions.  Prints
// "memsleuth-example: pid=N phase=holding heap_mib=MIB" and holds HOLD s.
// usage: java -Xmx512m -XX:NativeMemoryTracking=summary JavaHeapHold [MIB] [HOLD]
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

public class JavaHeapHold {
    static final List<byte[]> kept = new ArrayList<>();

    public static void main(String[] a) throws Exception {
        int mib = a.length > 0 ? Integer.parseInt(a[0]) : 300;
        long hold = a.length > 1 ? Long.parseLong(a[1]) : 60;
        for (int i = 0; i < mib * 4; i++) {
            byte[] b = new byte[1 << 18];
            Arrays.fill(b, (byte) 1);   // touched: resident
            kept.add(b);
        }
        System.out.println("memsleuth-example: pid=" + ProcessHandle.current().pid() + " phase=holding heap_mib=" + mib);
        System.out.flush();
        Thread.sleep(hold * 1000);
    }
}

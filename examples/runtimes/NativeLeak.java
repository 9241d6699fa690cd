// Native memory outside the JVM's bookkeeping: COUNT Inflaters are created,
// used once and kept referenced, never end()ed, so their zlib state (an
// inflate_state of ~7 KiB and a 32 KiB window, malloc'd by libz) stays
// live in glibc's heap while NMT's malloc line does not move.  Prints
// "memsleuth-example: pid=N phase=leaked ... holding" and holds; at
// PER_SECOND > 0 it leaks that many a second (about 10 MiB/s at 400) and
// says "phase=leaking" after the first second.
// usage: java -XX:NativeMemoryTracking=summary NativeLeak.java [COUNT] [PER_SECOND]
import java.util.ArrayList;
import java.util.List;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

public class NativeLeak {
    static final List<Inflater> kept = new ArrayList<>();   // the leak: never cleared, never end()ed

    public static void main(String[] a) throws Exception {
        int count = a.length > 0 ? Integer.parseInt(a[0]) : 2000;
        int perSecond = a.length > 1 ? Integer.parseInt(a[1]) : 0;   // 0: all at once
        byte[] data = new byte[4096];
        Deflater d = new Deflater();
        d.setInput(data);
        d.finish();
        byte[] z = new byte[8192];
        int zn = d.deflate(z);
        d.end();
        byte[] out = new byte[4096];
        for (int i = 0; i < count; i++) {
            Inflater inf = new Inflater();
            inf.setInput(z, 0, zn);
            inf.inflate(out);
            kept.add(inf);
            if (perSecond > 0 && (i + 1) % perSecond == 0) {
                if (i + 1 == perSecond) {   // a slow leak says it has begun (memsleuth watch)
                    System.out.println("memsleuth-example: pid=" + ProcessHandle.current().pid() + " phase=leaking");
                    System.out.flush();
                }
                Thread.sleep(1000);
            }
        }
        System.out.println("memsleuth-example: pid=" + ProcessHandle.current().pid() + " phase=leaked inflaters="
                           + kept.size() + " holding");
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}

// A real native leak in a JVM, for `memsleuth watch`: N Inflaters a second
// are created and kept, never end()ed -- their zlib state is live malloc
// memory outside the JVM's own accounting (NMT does not see it), growing
// about 10 MiB/s at the default 400/s.  Prints "READY pid N" after 5 s.
// Run: java -XX:NativeMemoryTracking=summary InflaterLeak [PER_SECOND]
import java.util.ArrayList;
import java.util.List;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

public class InflaterLeak {
    static final List<Object> kept = new ArrayList<>();   // never cleared

    public static void main(String[] a) throws Exception {
        int perTick = a.length > 0 ? Integer.parseInt(a[0]) : 400;
        byte[] data = new byte[4096];
        Deflater d = new Deflater();
        d.setInput(data);
        d.finish();
        byte[] z = new byte[8192];
        int zn = d.deflate(z);
        d.end();
        byte[] out = new byte[4096];
        for (int tick = 0; ; tick++) {
            for (int i = 0; i < perTick; i++) {
                Inflater inf = new Inflater();
                inf.setInput(z, 0, zn);
                inf.inflate(out);
                kept.add(inf);
            }
            if (tick == 1) {
                System.out.println("READY pid " + ProcessHandle.current().pid());
                System.out.flush();
            }
            Thread.sleep(1000);
        }
    }
}

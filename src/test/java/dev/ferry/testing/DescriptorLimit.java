package dev.ferry.testing;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Lowers and restores this JVM's own RLIMIT_NOFILE (through {@code prlimit --pid}), for tests that make Ferry run
 * out of file descriptors. Linux only; callers check {@link #require()} first.
 */
public final class DescriptorLimit {
    private static final long PID = ProcessHandle.current().pid();

    private DescriptorLimit() {
    }

    /** Skips (or, under CI=true, fails) the test without prlimit and /proc. */
    public static void require() {
        Requirements.requireCommand("prlimit", "apt-get install util-linux");
        Requirements.require(Files.isDirectory(Path.of("/proc/self/fd")), "Linux /proc");
    }

    /** The soft and hard limits now. */
    public static long[] current() throws Exception {
        Process p = new ProcessBuilder("prlimit", "--pid", String.valueOf(PID), "--nofile", "--raw", "--noheadings",
                "--output", "SOFT,HARD").redirectInput(ProcessBuilder.Redirect.INHERIT).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        String[] parts = out.split("\\s+");
        return new long[]{Long.parseLong(parts[0]), Long.parseLong(parts[1])};
    }

    public static void set(long soft, long hard) throws Exception {
        // No pipes: a pipe's descriptor would be closed later by the JDK's process reaper, freeing one at random.
        Process p = new ProcessBuilder("prlimit", "--pid", String.valueOf(PID), "--nofile=" + soft + ":" + hard)
                .redirectInput(ProcessBuilder.Redirect.INHERIT).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
    }

    public static long highestOpenDescriptor() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            return fds.mapToLong(p -> Long.parseLong(p.getFileName().toString())).max().orElse(0);
        }
    }

    public static boolean canOpen() {
        try {
            SocketChannel.open().close();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Loads every class next to {@code anchor} (from a directory, each class file takes a descriptor to load). */
    public static void loadClassesBeside(Class<?> anchor) throws Exception {
        Path root = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
        if (!Files.isDirectory(root)) {
            return; // from a jar, which stays open
        }
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".class")).toList()) {
                String name = root.relativize(f).toString().replace('/', '.').replaceFirst("\\.class$", "");
                try {
                    Class.forName(name, false, anchor.getClassLoader());
                } catch (ClassNotFoundException | LinkageError ignored) {
                    // not needed on this path
                }
            }
        }
    }
}

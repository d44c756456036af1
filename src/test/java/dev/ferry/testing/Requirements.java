package dev.ferry.testing;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * What a test needs from the machine (a tool, root, a native transport). Outside CI a missing need skips the
 * test with the way to install it; in CI ({@code CI=true}) it fails the test instead, so a green CI run never
 * hides a test that did not run.
 */
public final class Requirements {
    private Requirements() {
    }

    /** True when running in CI, where a missing tool is an error rather than a skip. */
    public static boolean inCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /**
     * Skips (or, in CI, fails) the calling test unless {@code met} holds.
     *
     * @param what what is needed and how to get it, e.g. "dig (apt-get install dnsutils)"
     */
    public static void require(boolean met, String what) {
        if (met) {
            return;
        }
        if (inCi()) {
            Assertions.fail("CI=true and this test needs " + what);
        }
        Assumptions.assumeTrue(false, "needs " + what);
    }

    /** Requires a command on the PATH; {@code install} says how to get it ("apt-get install dnsutils"). */
    public static void requireCommand(String command, String install) {
        require(onPath(command), command + " (" + install + ")");
    }

    /** Requires that the tests run as root (network namespaces, raw sockets, rlimits). */
    public static void requireRoot() {
        require("root".equals(System.getProperty("user.name")), "root");
    }

    /** Whether {@code command} is an executable file in one of the PATH's directories. */
    public static boolean onPath(String command) {
        if (command.contains("/")) {
            return Files.isExecutable(Path.of(command));
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }

    /** Runs {@code command} with a deadline and tells whether it exited 0 (a probe such as "ss -V"). */
    public static boolean runs(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (java.io.IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}

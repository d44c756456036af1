package dev.ferry.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real server program (redis-server, postgres, mariadbd) run for a test: started, waited for until its port takes
 * connections, stopped and resumed with SIGSTOP/SIGCONT (a frozen process whose kernel still completes handshakes),
 * and ended on close. Output goes to a log file, shown when the program does not come up.
 *
 * <p>Threading: one test thread.
 */
public final class ServerProcess implements AutoCloseable {
    private final String name;
    private final Process process;
    private final Path log;
    private final int port;

    private ServerProcess(String name, Process process, Path log, int port) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.port = port;
    }

    /**
     * Runs {@code command} and waits (at most {@code ready}) until 127.0.0.1:{@code port} accepts a connection.
     *
     * @param asUser when the tests run as root, the program runs as this user (postgres refuses root); null: as is
     */
    public static ServerProcess start(String name, List<String> command, String asUser, Path log, int port,
                                      Duration ready) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(asUser(command, asUser)).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        ServerProcess server = new ServerProcess(name, builder.start(), log, port);
        long deadline = System.nanoTime() + ready.toNanos();
        for (int attempt = 0; attempt < 10_000; attempt++) {
            if (!server.process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + server.process.exitValue() + ":\n"
                        + server.logTail());
            }
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
                return server;
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    server.close();
                    throw new IllegalStateException(name + " did not listen on port " + port + " within " + ready
                            + ":\n" + server.logTail());
                }
                Thread.sleep(20); // waiting for a program to come up, not asserting on time
            }
        }
        server.close();
        throw new IllegalStateException(name + " did not come up");
    }

    /** The command run as {@code user} when this JVM runs as root (setpriv execs: the pid stays the server's). */
    public static List<String> asUser(List<String> command, String user) {
        if (user == null || !"root".equals(System.getProperty("user.name"))) {
            return command;
        }
        List<String> wrapped = new ArrayList<>(List.of("setpriv", "--reuid=" + user, "--regid=" + groupOf(user),
                "--init-groups", "--"));
        wrapped.addAll(command);
        return wrapped;
    }

    /** The primary group of {@code user} ({@code id -gn}): nobody's is nogroup on Debian. */
    private static String groupOf(String user) {
        try {
            Process id = new ProcessBuilder("id", "-gn", user).redirectErrorStream(true).start();
            String group = new String(id.getInputStream().readAllBytes()).strip();
            if (!id.waitFor(10, TimeUnit.SECONDS) || id.exitValue() != 0) {
                throw new IllegalStateException("id -gn " + user + ": " + group);
            }
            return group;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public int port() {
        return port;
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    /** SIGSTOP: the process runs no more, while its kernel still completes handshakes on its listening socket. */
    public void freeze() throws IOException, InterruptedException {
        signal("STOP");
    }

    /** SIGCONT. */
    public void thaw() throws IOException, InterruptedException {
        signal("CONT");
    }

    private void signal(String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IllegalStateException("kill -" + signal + " " + process.pid() + " (" + name + ") failed");
        }
    }

    /** The last lines of the program's output. */
    public String logTail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Resumes the program if frozen, asks it to end (SIGTERM), and kills it if it has not within 10 s. */
    @Override
    public void close() throws IOException {
        try {
            if (process.isAlive()) {
                try {
                    signal("CONT");
                } catch (IllegalStateException exitedMeanwhile) {
                    // nothing to resume
                }
                process.destroy();
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}

package dev.ferry.director.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The director's lab of director.md, built by {@code scripts/netns-lab} under a name unique to this run and removed
 * by {@link #close()} (and by the next run of the same name, should a JVM die before closing). Every command runs
 * with a deadline.
 */
final class NetnsLab implements AutoCloseable {
    static final String VIP = "10.200.0.100";
    /** The TUNNEL topology's VIP, on the shared segment's subnet. */
    static final String TUNNEL_VIP = "10.100.0.100";
    /** The director's address on the TUNNEL topology's segment. */
    static final String TUNNEL_DIRECTOR = "10.100.0.1";
    private static final Path SCRIPT = Path.of("scripts/netns-lab").toAbsolutePath();

    private final String id;
    private final int servers;

    private NetnsLab(String id, int servers) {
        this.id = id;
        this.servers = servers;
    }

    /** Builds the NAT topology with {@code servers} real servers (10.101.0.11 and on). */
    static NetnsLab up(int servers) throws IOException, InterruptedException {
        return up("up", servers, "nat");
    }

    /**
     * Builds the TUNNEL topology of director.md: one bridge, the client 10.100.0.2, the director 10.100.0.1,
     * {@code servers} real servers from 10.100.0.11 ({@link #tunnelServer}), which answer the client directly.
     */
    static NetnsLab upTunnel(int servers) throws IOException, InterruptedException {
        return up("up", servers, "tunnel");
    }

    /**
     * Builds the DIRECT topology of director.md: the TUNNEL one, with the VIP on each real server's {@code lo} and
     * the ARP settings of VS/DR, so that the director's frames to a server's MAC reach its own stack.
     */
    static NetnsLab upDirect(int servers) throws IOException, InterruptedException {
        return up("up", servers, "direct");
    }

    /**
     * Builds the pair topology for connection sync: two directors ({@code dir} 10.100.0.1 / 10.101.0.1 and
     * {@code dir2} 10.100.0.3 / 10.101.0.2), the client's VIP route and the servers' default route via the first.
     */
    static NetnsLab upPair(int servers) throws IOException, InterruptedException {
        return up("up-pair", servers, null);
    }

    /** Moves the client's VIP route and the servers' default route to {@code dir2}. */
    void failover() throws IOException, InterruptedException {
        Result r = run(30, SCRIPT.toString(), "failover", id, Integer.toString(servers));
        if (r.exit() != 0) {
            throw new IllegalStateException("netns-lab failover failed: " + r.output());
        }
    }

    private static NetnsLab up(String how, int servers, String topology) throws IOException, InterruptedException {
        String id = Long.toString(ThreadLocalRandom.current().nextLong(36L * 36 * 36 * 36 * 36 * 36), 36);
        NetnsLab lab = new NetnsLab(id, servers);
        Result r = topology == null ? run(60, SCRIPT.toString(), how, id, Integer.toString(servers))
                : run(60, SCRIPT.toString(), how, id, Integer.toString(servers), topology);
        if (r.exit() != 0) {
            lab.close();
            throw new IllegalStateException("netns-lab up failed: " + r.output());
        }
        return lab;
    }

    /** The namespace of {@code role}: client, dir, rs1, rs2, ... */
    String ns(String role) {
        return "fl" + id + "-" + role;
    }

    static String realServer(int i) {
        return "10.101.0.1" + i;
    }

    /** Real server {@code i}'s address in the TUNNEL topology. */
    static String tunnelServer(int i) {
        return "10.100.0.1" + i;
    }

    int servers() {
        return servers;
    }

    /** Runs {@code command} inside {@code role}'s namespace, waiting at most {@code seconds}. */
    Result exec(String role, int seconds, String... command) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns(role)));
        c.addAll(List.of(command));
        return run(seconds, c.toArray(String[]::new));
    }

    /** Starts {@code command} inside {@code role}'s namespace (the caller ends it). */
    Process start(String role, Path log, String... command) throws IOException {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", ns(role)));
        c.addAll(List.of(command));
        return new ProcessBuilder(c).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** What a command printed (stdout and stderr together) and its exit code (-1: killed at its deadline). */
    record Result(int exit, String output) {
    }

    static Result run(int seconds, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[][] out = new byte[1][];
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                out[0] = p.getInputStream().readAllBytes();
            } catch (IOException e) {
                out[0] = new byte[0];
            }
        });
        boolean done = p.waitFor(seconds, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        reader.join(10_000);
        String text = out[0] == null ? "" : new String(out[0], StandardCharsets.UTF_8);
        return new Result(done ? p.exitValue() : -1, text);
    }

    @Override
    public void close() throws IOException, InterruptedException {
        run(60, SCRIPT.toString(), "down", id);
    }
}

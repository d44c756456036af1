package dev.ferry.schedule;

import dev.ferry.backend.BackendSnapshot;
import dev.ferry.backend.Server;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/** Small helpers for driving schedulers in tests: detached servers, contexts, pick sequences. */
final class Picks {
    private Picks() {
    }

    /** Servers A, B, C, ... with the given weights, already installed in {@code scheduler}. */
    static List<Server> install(Scheduler scheduler, int... weights) {
        List<Server> servers = new ArrayList<>();
        for (int i = 0; i < weights.length; i++) {
            servers.add(Server.detached(name(i), weights[i]));
        }
        scheduler.update(BackendSnapshot.of(servers));
        return servers;
    }

    static String name(int i) {
        return i < 26 ? String.valueOf((char) ('A' + i)) : "S" + i;
    }

    static PickContext fromClient(String ip, int port) {
        return new PickContext(new InetSocketAddress(ip, port), null, 0, List.of(), 0);
    }

    static PickContext toDestination(String ip) {
        return new PickContext(null, new InetSocketAddress(ip, 80), 0, List.of(), 0);
    }

    static PickContext withKey(long key) {
        return new PickContext(null, null, key, List.of(), 0);
    }

    /** Names of {@code n} picks, "-" for none; each pick adds one active connection (spec §4). */
    static String sequence(Scheduler scheduler, PickContext context, int n) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < n; i++) {
            Server s = (Server) scheduler.pick(context);
            out.append(s == null ? "-" : s.name());
            if (s != null) {
                s.setLoad(s.active() + 1, s.inactive());
                scheduler.loadChanged(s);
            }
        }
        return out.toString();
    }
}

package dev.ferry.admin;

import dev.ferry.config.DirectorServiceConfig;
import dev.ferry.director.Director;
import dev.ferry.director.DirectorStats;
import dev.ferry.director.DropReason;
import dev.ferry.director.VirtualService;
import dev.ferry.director.packet.Ipv4;
import dev.ferry.director.sync.SyncStats;
import dev.ferry.director.table.TableCounts;
import dev.ferry.director.table.TcpState;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A director as {@code GET /api/v1/directors} and the status report show it (JSON, snake_case keys): its device and
 * worker threads (and what they move packets with, {@code io}: {@code uring} or {@code syscalls}), its table (entries per IPVS state, all services and per service, and how many of them IPVS counts
 * as active: those in {@code active_states}, {@link TcpState#isActive()}; UDP entries are inactive), its packet
 * counters (with those one worker handed to another) and its drops by reason.
 * Read from the director's published counters, so building it never waits for the director's worker.
 */
public record DirectorReport(String name, String device, int workers, int maxConnections, int connections,
                             long expired, Map<String, Integer> states, List<String> activeStates, int active,
                             int inactive, int udp,
                             Traffic packets, Traffic bytes, long passed,
                             long icmpForwarded, long icmpSent, long ipOptions, long firstFragments,
                             long handedOver, Map<String, Long> drops, Map<String, String> timeouts,
                             List<Service> services, int persistenceTemplates, Defense defense, Sync sync,
                             String io) {

    /**
     * Connection sync with the peer director, null without: the role, the addresses, and the counters of the side this
     * is — an active one counts entries and datagrams sent and dropped (the socket did not take them), a standby those
     * received, applied to its table, rejected (no such service or server, or the table full), malformed and of
     * another sync id.
     */
    public record Sync(String role, int id, String listen, String peer, long sent, long sentDatagrams, long dropped,
                       long received, long receivedDatagrams, long applied, long rejected, long malformed,
                       long otherId) {
    }

    /** Client to server ({@code in}) and server to client ({@code out}). */
    public record Traffic(long in, long out) {
    }

    /**
     * One virtual service, how it forwards ({@code nat}: VS/NAT, {@code tunnel}: VS/TUN; a server may override it), its persistence (null without) and the entries it
     * holds now.
     */
    public record Service(String vip, String protocol, String backend, String forwarding, int connections,
                          Map<String, Integer> states, int active, int inactive, int udp, Persistence persistence) {
    }

    /**
     * The SYN-flood defence: each strategy's setting ({@code off}, {@code auto}, {@code always}), the table use at
     * which {@code auto} ones switch on, which are in force now, and what they dropped.
     */
    public record Defense(String threshold, String dropEntry, String dropPacket, String secureTcp, List<String> active,
                          long entriesDropped, long newConnectionsDropped) {
    }

    /** A service's persistence: the template timeout and the client netmask, as {@code ipvsadm -p -M}. */
    public record Persistence(String timeout, String netmask) {
    }

    static DirectorReport of(Director d) {
        TableCounts c = d.counts();
        DirectorStats s = d.stats();
        Map<String, Integer> states = new LinkedHashMap<>();
        List<String> activeStates = new ArrayList<>();
        int active = 0;
        for (TcpState state : TcpState.values()) {
            states.put(state.name(), c.inState(state));
            if (state.isActive()) {
                activeStates.add(state.name());
                active += c.inState(state);
            }
        }
        Map<String, Long> drops = new LinkedHashMap<>();
        for (DropReason r : DropReason.values()) {
            drops.put(r.label(), s.drops(r));
        }
        List<DirectorServiceConfig> configs = d.config().services();
        List<VirtualService> services = d.services();
        List<Service> out = new ArrayList<>();
        for (int i = 0; i < services.size() && i < configs.size(); i++) {
            VirtualService vs = services.get(i);
            DirectorServiceConfig sc = configs.get(i);
            Map<String, Integer> perState = new LinkedHashMap<>();
            int serviceActive = 0;
            if (sc.protocol() == DirectorServiceConfig.Protocol.TCP) {
                for (TcpState state : TcpState.values()) {
                    perState.put(state.name(), c.inState(vs.index(), state));
                    serviceActive += state.isActive() ? c.inState(vs.index(), state) : 0;
                }
            }
            int entries = c.ofService(vs.index());
            out.add(new Service(sc.vip().host() + ":" + sc.vip().port(), sc.protocol().key(), sc.backend(),
                    sc.forwarding().key(), entries, perState, serviceActive, entries - serviceActive,
                    c.udp(vs.index()), sc.persistence().map(p -> new Persistence(seconds(p.timeout()),
                    Ipv4.format(p.netmask()))).orElse(null)));
        }
        Map<String, String> timeouts = new LinkedHashMap<>();
        timeouts.put("tcp", seconds(d.config().timeouts().tcp()));
        timeouts.put("tcp_fin", seconds(d.config().timeouts().tcpFin()));
        timeouts.put("udp", seconds(d.config().timeouts().udp()));
        return new DirectorReport(d.name(), d.deviceName(), d.config().workers(), c.limit(), c.size(), c.expired(),
                states, List.copyOf(activeStates), active, c.size() - active, c.udp(),
                new Traffic(s.inboundPackets(), s.outboundPackets()), new Traffic(s.inboundBytes(), s.outboundBytes()),
                s.passedPackets(), s.icmpForwarded(), s.icmpSent(), s.ipOptionPackets(), s.firstFragments(),
                s.handedOver(), drops,
                timeouts, List.copyOf(out), d.templateCount(), defense(d, s), sync(d), d.io());
    }

    private static Sync sync(Director d) {
        return d.config().sync().map(c -> {
            SyncStats s = d.syncStats();
            String listen = d.syncListenAddress() != null
                    ? d.syncListenAddress().getAddress().getHostAddress() + ":" + d.syncListenAddress().getPort()
                    : c.listen().map(Object::toString).orElse(null);
            return new Sync(c.role().key(), c.id(), listen, c.peer().map(Object::toString).orElse(null),
                    s.sentEntries(), s.sentDatagrams(), s.droppedEntries(), s.receivedEntries(), s.receivedDatagrams(),
                    s.applied(), s.rejected(), s.malformedDatagrams(), s.otherIdDatagrams());
        }).orElse(null);
    }

    private static Defense defense(Director d, DirectorStats s) {
        var c = d.config().defense();
        return new Defense(c.thresholdPercent() + "%", c.dropEntry().key(), c.dropPacket().key(), c.secureTcp().key(),
                d.defenseActive(), s.entriesDropped(), s.drops(DropReason.DEFENSE));
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }
}

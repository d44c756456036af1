package dev.ferry.proxy.udp;

import dev.ferry.backend.ConnectionLease;
import dev.ferry.backend.Server;
import dev.ferry.backend.ServerState;
import dev.ferry.proxy.ClientPersistence;
import dev.ferry.schedule.PickContext;
import io.netty.buffer.ByteBuf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One client address and port: its {@link SessionSocket}s towards the server(s) and, unless per-datagram, the server
 * it is bound to and that server's lease (inactive for the session's life, as IPVS counts UDP).
 *
 * <p>Every socket is connected to its server, so the kernel delivers only that server's datagrams and reports its
 * ICMP port unreachable, which counts a failure of the server (and so reaches outlier detection). In session mode
 * there is one socket and an unreachable server ends the session. In per-datagram mode each datagram goes to the
 * server picked for it, through a socket to that server opened at its first datagram; the replies of every server go
 * back to the client, and an unreachable server closes only its own socket.
 *
 * <p>Threading: every method runs on the event loop of the frontend socket that opened the session.
 */
final class UdpSession implements SessionSocket.Owner {
    private static final Logger log = LoggerFactory.getLogger(UdpSession.class);

    private final UdpRelay relay;
    private final InetSocketAddress client;
    private final PickContext pick;
    private Server server;
    private ConnectionLease lease;
    /** The persistence template's hold on this session, or null. */
    private ClientPersistence.Hold hold;
    /** Session mode: the socket to the bound server. */
    private SessionSocket bound;
    /** Per-datagram mode: a socket per server the session's datagrams went to; null in session mode. */
    private Map<Server, SessionSocket> perServer;
    private boolean unflushed;
    private boolean closed;

    UdpSession(UdpRelay relay, InetSocketAddress client, InetSocketAddress destination) {
        this.relay = relay;
        this.client = client;
        UdpFrontend frontend = relay.frontend();
        this.pick = new PickContext(client, destination, frontend.backend().hashKey().keyOf(client, null), List.of(),
                0);
    }

    InetSocketAddress client() {
        return client;
    }

    PickContext pickContext() {
        return pick;
    }

    /** Binds the session to {@code chosen} (session mode); counted as one inactive connection of it. */
    void bind(Server chosen) {
        bind(chosen, null);
    }

    /** As {@link #bind(Server)}, held by a persistence template ({@code hold}, released when the session ends). */
    void bind(Server chosen, ClientPersistence.Hold hold) {
        server = chosen;
        lease = chosen.open();
        this.hold = hold;
    }

    /** True when the bound server left the pool (down or in maintenance), so the session should start over. */
    boolean serverGone() {
        return server != null && (!server.healthy() || server.state() == ServerState.MAINT);
    }

    void start() {
        if (server != null) {
            bound = open(server);
        } else {
            perServer = new HashMap<>(4);
        }
    }

    private SessionSocket open(Server to) {
        SessionSocket socket = new SessionSocket(to, this);
        socket.open(relay.frontend().sessionBootstrap(relay.listener().eventLoop()));
        return socket;
    }

    /** A client datagram's payload, owned from here on. */
    void fromClient(ByteBuf content) {
        if (closed) {
            content.release();
            return;
        }
        UdpFrontend frontend = relay.frontend();
        int bytes = content.readableBytes();
        SessionSocket socket;
        if (server != null) {
            server.addBytesOut(bytes);
            socket = bound;
        } else {
            Server chosen = frontend.backend().pick(pick);
            if (chosen == null) {
                frontend.stats().rejectedNoServer();
                content.release();
                return;
            }
            // One-packet scheduling: the datagram is the whole "connection".
            chosen.open().close();
            chosen.addBytesOut(bytes);
            socket = perServer.get(chosen);
            if (socket == null) {
                socket = open(chosen);
                if (closed || socket.isClosed()) {
                    content.release(); // opening failed at once (and was handled)
                    return;
                }
                perServer.put(chosen, socket);
            }
        }
        if (!socket.send(content)) {
            frontend.udpStats().countDroppedBusy();
        }
    }

    /** Marks the session as written to in this read batch; true the first time, so it is flushed once. */
    boolean markUnflushed() {
        if (unflushed) {
            return false;
        }
        unflushed = true;
        return true;
    }

    void flush() {
        unflushed = false;
        if (closed) {
            return;
        }
        if (bound != null) {
            bound.flush();
        } else {
            for (SessionSocket s : perServer.values()) {
                s.flush();
            }
        }
    }

    /** Ends the session: closes its sockets, releases its lease and anything still held. Idempotent. */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (bound != null) {
            bound.close();
        }
        if (perServer != null) {
            perServer.values().forEach(SessionSocket::close);
            perServer.clear();
        }
        if (lease != null) {
            lease.close();
        }
        if (hold != null) {
            hold.release();
        }
        relay.frontend().stats().closed();
    }

    @Override
    public void reply(SessionSocket socket, ByteBuf content) {
        if (closed) {
            content.release();
            return;
        }
        relay.toClient(this, content);
    }

    @Override
    public void replyBatchEnded() {
        relay.flushReplies();
    }

    @Override
    public void unreachable(SessionSocket socket) {
        relay.frontend().udpStats().countServerUnreachable();
        log.debug("{}: server {} ({}) unreachable for {}", relay.frontend().name(), socket.server().name(),
                socket.server().address(), client);
        lost(socket);
    }

    @Override
    public void failed(SessionSocket socket, Throwable cause) {
        log.debug("{}: socket for {} towards {} failed: {}", relay.frontend().name(), client,
                socket.server().address(), cause.toString());
        lost(socket);
    }

    /** A socket that is of no more use: its server failed; session mode ends the session, per-datagram the socket. */
    private void lost(SessionSocket socket) {
        socket.server().recordFailure();
        socket.close();
        if (perServer == null) {
            relay.failed(this);
        } else if (perServer.get(socket.server()) == socket) {
            perServer.remove(socket.server());
        }
    }
}

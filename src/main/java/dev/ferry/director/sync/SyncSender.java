package dev.ferry.director.sync;

import dev.ferry.director.table.ConnectionTable;
import dev.ferry.director.table.TrackedConnection;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;

/**
 * The active side of connection sync: each worker's {@link Shard} hears of its table's changes
 * ({@link ConnectionTable.Listener}), packs them into a datagram and sends it, without blocking, when the datagram
 * is full or at the worker's next flush (its 100 ms tick, or when it has no packet to read). A datagram the socket
 * does not take is dropped and counted: the packet path never waits for the standby.
 *
 * <p>Threading: one {@link Shard} per worker, used by that worker only; the channel is shared (a datagram send is
 * atomic) and {@link #close} may be called from any thread once the workers stopped.
 */
public final class SyncSender implements AutoCloseable {
    private final DatagramChannel channel;
    private final InetSocketAddress peer;
    private final int syncId;
    private final SyncStats stats;

    private SyncSender(DatagramChannel channel, InetSocketAddress peer, int syncId, SyncStats stats) {
        this.channel = channel;
        this.peer = peer;
        this.syncId = syncId;
        this.stats = stats;
    }

    /**
     * Opens a non-blocking UDP socket, bound to {@code bind} (null: any address and port), sending to {@code peer}.
     *
     * @throws IOException when the socket cannot be bound
     */
    public static SyncSender open(InetSocketAddress peer, InetSocketAddress bind, int syncId, SyncStats stats)
            throws IOException {
        DatagramChannel channel = DatagramChannel.open(StandardProtocolFamily.INET);
        try {
            channel.configureBlocking(false);
            channel.bind(bind);
            return new SyncSender(channel, peer, syncId, stats);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** A new worker's part. */
    public Shard shard() {
        return new Shard();
    }

    public InetSocketAddress peer() {
        return peer;
    }

    /** The address the socket sends from. */
    public InetSocketAddress localAddress() throws IOException {
        return (InetSocketAddress) channel.getLocalAddress();
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing more to send
        }
    }

    /** One worker's datagram in the making. */
    public final class Shard implements ConnectionTable.Listener {
        private final SyncMessage.Writer writer = new SyncMessage.Writer(syncId);

        @Override
        public void changed(TrackedConnection e, long nowMillis) {
            writer.add(e, nowMillis);
            if (writer.isFull()) {
                flush();
            }
        }

        /** Sends what is waiting, if anything, without blocking. */
        public void flush() {
            int n = writer.count();
            if (n == 0) {
                return;
            }
            ByteBuffer datagram = writer.datagram();
            boolean sent;
            try {
                sent = channel.send(datagram, peer) > 0;
            } catch (IOException | RuntimeException e) {
                sent = false; // closed, or the network unreachable: the standby misses these
            }
            if (sent) {
                stats.sentEntries.add(n);
                stats.sentDatagrams.increment();
            } else {
                stats.droppedEntries.add(n);
                stats.droppedDatagrams.increment();
            }
            writer.reset();
        }
    }
}

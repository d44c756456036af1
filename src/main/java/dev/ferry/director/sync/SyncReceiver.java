package dev.ferry.director.sync;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.DatagramPacket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.ArrayList;
import java.util.List;

/**
 * The standby side of connection sync: a thread that receives datagrams on the standby's {@code listen} address
 * (blocking, with a 100 ms timeout so that it stops promptly), decodes them ({@link SyncMessage}) and hands each
 * well-formed datagram's entries to its {@link Sink}; the director's sink passes them to the workers that own them.
 * Malformed datagrams and those of another sync id are counted and dropped.
 *
 * <p>Threading: {@link #start} and {@link #close} from any thread; the sink is called on the receiver's thread.
 */
public final class SyncReceiver implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SyncReceiver.class);
    static final int POLL_MILLIS = 100;

    /** Takes the entries of one datagram. */
    @FunctionalInterface
    public interface Sink {
        void deliver(List<SyncMessage.Entry> entries);
    }

    private final DatagramChannel channel;
    private final int syncId;
    private final SyncStats stats;
    private final Sink sink;
    private final String name;
    private volatile boolean running = true;
    private Thread thread;

    private SyncReceiver(DatagramChannel channel, int syncId, SyncStats stats, Sink sink, String name) {
        this.channel = channel;
        this.syncId = syncId;
        this.stats = stats;
        this.sink = sink;
        this.name = name;
    }

    /**
     * Binds a UDP socket to {@code listen}; receiving starts with {@link #start}.
     *
     * @throws IOException when the address cannot be bound (taken, not local)
     */
    public static SyncReceiver open(InetSocketAddress listen, int syncId, SyncStats stats, Sink sink, String name)
            throws IOException {
        DatagramChannel channel = DatagramChannel.open(StandardProtocolFamily.INET);
        try {
            // Room for bursts (a kernel caps it at net.core.rmem_max): the active director sends without pacing.
            channel.setOption(java.net.StandardSocketOptions.SO_RCVBUF, 4 << 20);
            channel.bind(listen);
            channel.socket().setSoTimeout(POLL_MILLIS);
            return new SyncReceiver(channel, syncId, stats, sink, name);
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    /** The address it receives on (the bound port when {@code listen} said 0). */
    public InetSocketAddress localAddress() {
        try {
            return (InetSocketAddress) channel.getLocalAddress();
        } catch (IOException e) {
            return null;
        }
    }

    public synchronized void start() {
        if (thread != null) {
            throw new IllegalStateException("started");
        }
        thread = Thread.ofPlatform().name("ferry-sync-" + name).daemon(true).start(this::run);
    }

    private void run() {
        byte[] buffer = new byte[SyncMessage.MAX_DATAGRAM + 100];
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        List<SyncMessage.Entry> entries = new ArrayList<>(SyncMessage.MAX_ENTRIES);
        while (running) {
            try {
                packet.setLength(buffer.length);
                channel.socket().receive(packet);
            } catch (SocketTimeoutException e) {
                continue;
            } catch (IOException e) {
                if (running) {
                    log.warn("director '{}': sync receiver stopped: {}", name, e.toString());
                }
                return;
            }
            stats.receivedDatagrams.increment();
            entries.clear();
            switch (SyncMessage.decode(ByteBuffer.wrap(buffer, 0, packet.getLength()), syncId, entries)) {
                case OK -> {
                    stats.receivedEntries.add(entries.size());
                    if (!entries.isEmpty()) {
                        try {
                            sink.deliver(List.copyOf(entries));
                        } catch (RuntimeException e) {
                            log.warn("director '{}': synced entries not applied: {}", name, e.toString());
                        }
                    }
                }
                case OTHER_ID -> stats.otherIdDatagrams.increment();
                case MALFORMED -> stats.malformedDatagrams.increment();
            }
        }
    }

    /** Stops the thread (within its poll time) and closes the socket. */
    @Override
    public void close() {
        running = false;
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t != null) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}

package dev.ferry.proxy.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocal;

/**
 * The buffers message heads are encoded into, reused on each event loop: a head is normally in the kernel's hands
 * once the event loop has flushed ({@link dev.ferry.transport.LoopFlusher}), after which its buffer is free again (a batch holds
 * a request head and a response head for each of up to a few dozen exchanges). Sending from the same
 * few pages every time keeps them in the CPU's caches and TLB; a fresh buffer per head meant a cold page for every
 * send, which cost more than the rest of the send (the kernel's copy from user memory ran at about a byte per ns).
 *
 * <p>A buffer is handed out with one extra reference, kept here: once Netty has written and released it, only this
 * one is left and the buffer may be used again. One still queued (a slow peer) is simply not reused yet.
 *
 * <p>Threading: one instance per event loop thread.
 */
final class HeadBuffers {
    private static final int CAPACITY = 4096;
    private static final FastThreadLocal<HeadBuffers> LOOP = new FastThreadLocal<>() {
        @Override
        protected HeadBuffers initialValue() {
            return new HeadBuffers();
        }

        @Override
        protected void onRemoval(HeadBuffers value) {
            value.release();
        }
    };

    private final ByteBuf[] buffers = new ByteBuf[32];

    private HeadBuffers() {
    }

    /** An empty buffer for a head of about {@code size} bytes, owned by the caller (who passes it to a write). */
    static ByteBuf get(ByteBufAllocator alloc, int size) {
        return size > CAPACITY ? alloc.buffer(size) : LOOP.get().take(alloc);
    }

    private ByteBuf take(ByteBufAllocator alloc) {
        for (int i = 0; i < buffers.length; i++) {
            ByteBuf b = buffers[i];
            if (b == null) {
                b = alloc.directBuffer(CAPACITY, CAPACITY);
                buffers[i] = b;
                return b.retain();
            }
            if (b.refCnt() == 1) {
                return b.clear().retain();
            }
        }
        // All in flight: an ordinary buffer.
        return alloc.buffer(CAPACITY);
    }

    private void release() {
        for (ByteBuf b : buffers) {
            if (b != null) {
                b.release();
            }
        }
    }
}

package dev.ferry.transport;

import io.netty.channel.IoEvent;
import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.epoll.Native;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.ThreadAwareExecutor;

/**
 * Keeps every epoll-registered socket in its loop's epoll set for as long as it is registered: an interest in
 * nothing is submitted as an interest in {@code EPOLLERR} alone.
 *
 * <p>Why: Netty 4.2.18's epoll registration ({@code EpollIoHandler.DefaultEpollIoRegistration.submit}) removes the
 * socket from the set ({@code EPOLL_CTL_DEL}) when its interest drops to none, yet keeps its state "added", so the
 * next interest goes out as {@code EPOLL_CTL_MOD}, fails with ENOENT and the channel is closed. A stream socket's
 * interest is {@code EPOLLRDHUP}, plus {@code EPOLLIN} while a read is pending, plus {@code EPOLLOUT} while writes
 * wait for room. Once the peer has sent its FIN (half-closure allowed) {@code EPOLLRDHUP} is cleared; with reading
 * off (Ferry reads on demand) and nothing waiting to be written nothing is left, and the first time that socket's
 * send buffer filled afterwards, the half-closed connection was reset instead of waiting for room (issue 15, item 1).
 *
 * <p>Asking for {@code EPOLLERR} asks for nothing more than nothing: the kernel reports errors and hang-ups on every
 * socket in the set whatever was asked. It costs the same one {@code epoll_ctl} the removal cost.
 *
 * <p>Threading: as the wrapped handler (one per event loop, used by that loop's thread).
 */
final class StayInEpollSet implements IoHandler {
    /** Linux's EPOLLHUP, which Netty's {@link Native} does not name. */
    private static final int EPOLLHUP = 0x010;

    private final IoHandler epoll;

    private StayInEpollSet(IoHandler epoll) {
        this.epoll = epoll;
    }

    /** Wraps every handler {@code epoll} makes. */
    static IoHandlerFactory around(IoHandlerFactory epoll) {
        return new IoHandlerFactory() {
            @Override
            public IoHandler newHandler(ThreadAwareExecutor executor) {
                return new StayInEpollSet(epoll.newHandler(executor));
            }

            @Override
            public boolean isChangingThreadSupported() {
                return epoll.isChangingThreadSupported();
            }
        };
    }

    @Override
    public IoRegistration register(IoHandle handle) throws Exception {
        if (!(handle instanceof EpollIoHandle channel)) {
            return epoll.register(handle);
        }
        Watched watched = new Watched(channel);
        watched.registration = new Registration(epoll.register(watched));
        return watched.registration;
    }

    @Override
    public void initialize() {
        epoll.initialize();
    }

    @Override
    public int run(IoHandlerContext context) {
        return epoll.run(context);
    }

    @Override
    public void prepareToDestroy() {
        epoll.prepareToDestroy();
    }

    @Override
    public void destroy() {
        epoll.destroy();
    }

    @Override
    public void wakeup() {
        epoll.wakeup();
    }

    @Override
    public boolean isCompatible(Class<? extends IoHandle> handleType) {
        return epoll.isCompatible(handleType);
    }

    /** The wrapped registration, with "nothing" replaced by "errors only". */
    private static final class Registration implements IoRegistration {
        private final IoRegistration epoll;
        /** True while the channel asks for nothing and the socket stays in the set for its errors only. */
        private boolean errorsOnly;

        Registration(IoRegistration epoll) {
            this.epoll = epoll;
        }

        @Override
        public long submit(IoOps ops) {
            errorsOnly = EpollIoOps.NONE.equals(ops);
            return epoll.submit(errorsOnly ? EpollIoOps.EPOLLERR : ops);
        }

        @Override
        public <T> T attachment() {
            return epoll.attachment();
        }

        @Override
        public boolean isValid() {
            return epoll.isValid();
        }

        @Override
        public boolean cancel() {
            return epoll.cancel();
        }
    }

    /**
     * The channel's side of the registration. A socket kept in the set for its errors that reports one, or a hang-up
     * (a reset received, or both directions shut), is closed once the channel has seen the event: it asked for
     * nothing, so it would not read the error, and the kernel would report it again on every wait (the loop would
     * spin). That is how a reset on a half-closed connection reaches its owner (issue 15, item 28).
     */
    private static final class Watched implements EpollIoHandle {
        private final EpollIoHandle channel;
        private Registration registration;

        Watched(EpollIoHandle channel) {
            this.channel = channel;
        }

        @Override
        public FileDescriptor fd() {
            return channel.fd();
        }

        @Override
        public void handle(IoRegistration ignored, IoEvent event) {
            channel.handle(registration, event);
            Registration r = registration;
            if (r != null && r.errorsOnly && r.isValid() && event instanceof EpollIoEvent e
                    && (e.ops().value() & (Native.EPOLLERR | EPOLLHUP)) != 0 && channel.fd().isOpen()) {
                try {
                    channel.close();
                } catch (Exception closing) {
                    // The socket is broken already; nothing more can be done with it.
                }
            }
        }

        @Override
        public void registered() {
            channel.registered();
        }

        @Override
        public void unregistered() {
            channel.unregistered();
        }

        @Override
        public void close() throws Exception {
            channel.close();
        }
    }
}

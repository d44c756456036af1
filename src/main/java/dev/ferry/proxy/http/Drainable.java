package dev.ferry.proxy.http;

/**
 * A client connection of an http frontend that can be told the frontend is stopping ({@link HttpFrontend#stopAccepting}):
 * it takes no new request, lets those under way finish, and closes. Found in the channel's pipeline by this type.
 *
 * <p>Threading: called on the connection's event loop.
 */
interface Drainable extends io.netty.channel.ChannelHandler {
    /** Takes no further request; closes once idle (at once when it is idle now). */
    void drain();
}

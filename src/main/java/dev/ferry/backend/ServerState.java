package dev.ferry.backend;

/**
 * The administrative state of a server, as an operator sets it.
 * <ul>
 *   <li>{@code READY}: takes new connections according to its weight;</li>
 *   <li>{@code DRAIN}: stays a member with effective weight 0 (quiesced, IPVS style): no new connections, live ones
 *       carry on;</li>
 *   <li>{@code MAINT}: not a member: no new connections; live ones carry on until they end.</li>
 * </ul>
 */
public enum ServerState {
    READY, DRAIN, MAINT
}

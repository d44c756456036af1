/**
 * Connection sync between two directors, as the LVS sync daemon: {@link dev.ferry.director.sync.SyncMessage} (the
 * datagram and its codec), {@link dev.ferry.director.sync.SyncSender} (the active side, fed by the workers) and
 * {@link dev.ferry.director.sync.SyncReceiver} (the standby's receiving thread).
 */
package dev.ferry.director.sync;

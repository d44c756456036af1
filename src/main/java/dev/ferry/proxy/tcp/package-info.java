/**
 * Layer-4 TCP proxying ({@code mode: tcp}): accept, pick a server, connect on the client's event loop, relay bytes
 * both ways with backpressure, honour half-close, propagate resets, retry refused or timed-out connects elsewhere.
 */
package dev.ferry.proxy.tcp;

/**
 * Access logs: one {@link dev.ferry.accesslog.AccessRecord} per TCP connection (and per HTTP request), formatted as
 * text or JSON and written by a background thread, so a slow disk never blocks an event loop. How each ended is a
 * {@link dev.ferry.accesslog.Termination}.
 */
package dev.ferry.accesslog;

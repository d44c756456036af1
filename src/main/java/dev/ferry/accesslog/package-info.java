/**
 * Access logs: one {@link dev.ferry.accesslog.AccessRecord} per TCP connection (and per HTTP request), formatted as
 * text or JSON and written by a background thread, so a slow disk never blocks an event loop.
 */
package dev.ferry.accesslog;

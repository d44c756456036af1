/**
 * Logging helpers shared by the proxies: {@link dev.ferry.logging.RateLimitedLog} keeps a failure that repeats for
 * every connection from filling the log.
 */
package dev.ferry.logging;

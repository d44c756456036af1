/**
 * The running balancer: builds backends and frontends from a {@link dev.ferry.config.FerryConfig}, starts them on
 * one {@link dev.ferry.transport.Transport}, and stops them gracefully.
 */
package dev.ferry.runtime;

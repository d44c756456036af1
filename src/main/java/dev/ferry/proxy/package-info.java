/**
 * Frontends: where traffic enters. {@link dev.ferry.proxy.Frontend} is what every mode (tcp, udp, http) offers to
 * the runtime; {@link dev.ferry.proxy.FrontendStats} its counters. Each mode lives in its own sub-package.
 */
package dev.ferry.proxy;

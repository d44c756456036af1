/**
 * Who may come in, and how often: access rules by source network ({@link dev.ferry.proxy.admission.AccessPolicy},
 * over a compiled {@link dev.ferry.proxy.admission.NetworkSet}) and rate and concurrency limits per key
 * ({@link dev.ferry.proxy.admission.RateLimiter}, over a bounded {@link dev.ferry.proxy.admission.KeyTable}), applied
 * at accept ({@link dev.ferry.proxy.admission.ConnectionGate}), per datagram, and per HTTP request
 * ({@link dev.ferry.proxy.admission.HttpAdmission}). Counted per rule in {@link dev.ferry.proxy.admission.RuleStats}.
 */
package dev.ferry.proxy.admission;

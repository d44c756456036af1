/**
 * Operations: the admin HTTP server ({@code admin.listen}) with its JSON API, Prometheus metrics at {@code /metrics}
 * and the live dashboard at {@code /}.
 */
package dev.ferry.admin;

/**
 * Watching servers: active checks ({@link dev.ferry.health.ActiveCheck} running a
 * {@link dev.ferry.health.TcpProbe}, {@link dev.ferry.health.HttpProbe}, {@link dev.ferry.health.GrpcProbe}
 * (grpc.health.v1 over h2c, its messages in {@code GrpcHealthMessages}) or {@link dev.ferry.health.AgentProbe}
 * under {@link dev.ferry.health.RiseFall}), passive health ({@link dev.ferry.health.OutlierDetector} with its
 * {@link dev.ferry.health.EjectionPolicy}), slow start ({@link dev.ferry.health.SlowStart} along a
 * {@link dev.ferry.health.SlowStartRamp}), and what an agent answers ({@link dev.ferry.health.AgentReply},
 * {@link dev.ferry.health.LoadReport}). {@link dev.ferry.health.BackendHealth} starts what a backend's
 * configuration asks for, with the probe that {@code HealthProbes} maps the check's type to; {@link dev.ferry.health.HealthStats} keeps per-server counts for the admin API and metrics.
 *
 * <p>Time comes from a {@link dev.ferry.health.Timeline} (an event loop in production, a hand-driven one in tests);
 * periodic work is a {@link dev.ferry.health.PeriodicTask} whose step takes "now" and returns the next delay.
 */
package dev.ferry.health;

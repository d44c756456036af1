/**
 * The YAML configuration: immutable records that mirror the file's keys ({@link dev.ferry.config.FerryConfig} at the
 * root), the loader that turns a file into them, and validation that reports every problem at once with
 * {@code file:line:column}, the key, what was wrong and what is allowed.
 *
 * <p>Entry points: {@link dev.ferry.config.ConfigLoader#load(java.nio.file.Path)} and
 * {@link dev.ferry.config.ConfigLoader#parse(String, java.nio.file.Path)}; failures are a
 * {@link dev.ferry.config.ConfigException} holding {@link dev.ferry.config.ConfigProblem}s such as
 * <pre>
 * ferry.yaml:12:46: backends[0].servers[1].weight: 70000 is out of range; allowed: 0..65535
 * ferry.yaml:4:5: frontends[0].mdoe: unknown key 'mdoe'; did you mean 'mode'? allowed keys here: name, listen, ...
 * ferry.yaml:7:18: frontends[0].backend: no backend named 'wbe'; did you mean 'web'? backends defined: web, api
 * </pre>
 * The value parsers {@link dev.ferry.config.Durations} ({@code 250ms}, {@code 2s}, {@code 1.5s}, {@code 1m},
 * {@code 1h}, {@code 1d}), {@link dev.ferry.config.Sizes} ({@code 4096}, {@code 8k}, {@code 16KiB}, {@code 1MiB}) and
 * {@link dev.ferry.config.Addresses} ({@code HOST:PORT}, {@code [::1]:80}) are public so the CLI and the admin API
 * parse the same forms with the same messages.
 *
 * <p>Where the file's options depend on a choice, the records are sealed by it: a frontend holds the
 * {@link dev.ferry.config.ModeOptions} of its one {@code mode} (tcp, udp, http), and a health check the
 * {@link dev.ferry.config.HealthCheckConfig.Probe} of its one {@code type} (tcp, http, agent, redis, pgsql, mysql)
 * beside the settings every check has, so options of another mode or type cannot be expressed.
 *
 * <p>How it reads: SnakeYAML composes the text into a node tree that keeps line and column of every node (nothing is
 * instantiated from tags); package-private readers ({@code ConfigReader}, {@code FrontendReader},
 * {@code RouteReader}, {@code BackendReader}, {@code SchedulerReader}, {@code HealthCheckReader}) walk it through
 * {@code YamlMap}, which checks keys and types and records problems instead of throwing, so one pass finds them all;
 * {@code CrossChecks} then handles what spans sections (unique names, backend references, listen collisions).
 *
 * <p>This package depends on nothing of the runtime: the {@code hash_key} grammar is {@link dev.ferry.config.HashKey}
 * here, and the scheduler registry's judgement of {@code scheduler:} comes in through
 * {@link dev.ferry.config.SchedulerCheck}, found with {@link java.util.ServiceLoader}.
 */
package dev.ferry.config;

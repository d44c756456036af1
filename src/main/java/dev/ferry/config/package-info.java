/**
 * The YAML configuration: immutable records that mirror the file's keys ({@link dev.ferry.config.FerryConfig} at the
 * root), the loader that turns a file into them, and validation that reports every problem at once with
 * {@code file:line:column}, the key, what was wrong and what is allowed.
 */
package dev.ferry.config;

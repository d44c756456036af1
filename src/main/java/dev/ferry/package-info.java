/**
 * Ferry's command line: {@code ferry demo | run | validate | version}. Exit codes: 0 success, 1 bad configuration or
 * usage, 2 runtime failure (e.g. a port in use). Users see one clear line per problem, never a stack trace.
 */
package dev.ferry;

/**
 * {@code ferry demo}: small HTTP servers that answer with their own name, and the embedded configuration that puts
 * Ferry in front of them.
 */
package dev.ferry.demo;

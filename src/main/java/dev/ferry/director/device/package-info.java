/** Packet devices: a TUN device queue through the Foreign Function &amp; Memory API, and one in memory for tests. */
package dev.ferry.director.device;

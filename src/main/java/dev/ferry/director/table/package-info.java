/** The director's connection table: IPVS's entries, TCP state machine, timeouts and active/inactive counts. */
package dev.ferry.director.table;

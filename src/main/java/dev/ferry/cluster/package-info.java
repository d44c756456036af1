/**
 * Many instances, one configuration: the shared configuration read from etcd and watched ({@link
 * dev.ferry.cluster.ConfigSource}), each instance's membership and applied revision kept under a lease ({@link
 * dev.ferry.cluster.Membership}), and the small etcd v3 client they use ({@link dev.ferry.cluster.EtcdClient}: the
 * JSON gateway over the JDK's HttpClient, so Ferry carries no gRPC stack or second Netty for it).
 */
package dev.ferry.cluster;

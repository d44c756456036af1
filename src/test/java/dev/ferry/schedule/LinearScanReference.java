package dev.ferry.schedule;

import dev.ferry.backend.Server;

import java.util.List;

/**
 * The least-load schedulers written as IPVS writes them: one O(n) scan in list order, straight from spec §2.3–2.8.
 * The oracle against which the tree-indexed schedulers are checked.
 */
enum LinearScanReference {
    LC {
        @Override
        Server pick(List<Server> servers, PickContext context) {
            Server least = null;
            for (Server d : servers) {
                if (skip(d, context)) {
                    continue;
                }
                if (least == null || d.overhead() < least.overhead()) {
                    least = d;
                }
            }
            return least;
        }
    },
    WLC {
        @Override
        Server pick(List<Server> servers, PickContext context) {
            Server least = null;
            for (Server d : servers) {
                if (d.isOverloaded() || context.avoids(d)) {
                    continue;
                }
                if (least == null) {
                    if (d.weight() > 0) {
                        least = d;
                    }
                } else if (least.overhead() * d.weight() > d.overhead() * least.weight()) {
                    least = d;
                }
            }
            return least;
        }
    },
    SED {
        @Override
        Server pick(List<Server> servers, PickContext context) {
            return expectedDelayScan(servers, context);
        }
    },
    NQ {
        @Override
        Server pick(List<Server> servers, PickContext context) {
            for (Server d : servers) {
                if (!skip(d, context) && d.active() == 0) {
                    return d;
                }
            }
            return expectedDelayScan(servers, context);
        }
    },
    FO {
        @Override
        Server pick(List<Server> servers, PickContext context) {
            Server highest = null;
            for (Server d : servers) {
                if (!d.isOverloaded() && !context.avoids(d)
                        && d.weight() > (highest == null ? 0 : highest.weight())) {
                    highest = d;
                }
            }
            return highest;
        }
    },
    OVF {
        @Override
        Server pick(List<Server> servers, PickContext context) {
            Server highest = null;
            for (Server d : servers) {
                int w = d.weight();
                if (d.isOverloaded() || d.active() > w || w == 0 || context.avoids(d)) {
                    continue;
                }
                if (highest == null || w > highest.weight()) {
                    highest = d;
                }
            }
            return highest;
        }
    };

    abstract Server pick(List<Server> servers, PickContext context);

    private static boolean skip(Server d, PickContext context) {
        return d.isOverloaded() || d.weight() == 0 || context.avoids(d);
    }

    private static Server expectedDelayScan(List<Server> servers, PickContext context) {
        Server least = null;
        for (Server d : servers) {
            if (d.isOverloaded() || context.avoids(d)) {
                continue;
            }
            if (least == null) {
                if (d.weight() > 0) {
                    least = d;
                }
            } else if ((least.active() + 1L) * d.weight() > (d.active() + 1L) * least.weight()) {
                least = d;
            }
        }
        return least;
    }

    /** The tree-indexed scheduler that must agree with this scan. */
    Scheduler indexed() {
        return switch (this) {
            case LC -> new LeastConnectionScheduler();
            case WLC -> new WeightedLeastConnectionScheduler();
            case SED -> new ShortestExpectedDelayScheduler();
            case NQ -> new NeverQueueScheduler();
            case FO -> new WeightedFailoverScheduler();
            case OVF -> new OverflowScheduler();
        };
    }
}

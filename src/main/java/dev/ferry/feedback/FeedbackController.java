package dev.ferry.feedback;

import dev.ferry.backend.Backend;
import dev.ferry.backend.Server;
import dev.ferry.backend.ServerState;
import dev.ferry.config.FeedbackConfig;
import dev.ferry.config.LoadCoefficients;
import dev.ferry.health.AgentReply;
import dev.ferry.health.EventLoopTimeline;
import dev.ferry.health.LoadReport;
import dev.ferry.health.PeriodicTask;
import dev.ferry.health.Timeline;
import dev.ferry.transport.Transport;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;

/**
 * LVS dynamic feedback for one backend (scheduling spec section 3). Every {@code interval} it:
 * <ol>
 *   <li>takes the agent replies to the previous round's polls: an agent that did not answer within the interval
 *       (90% of it, so the answer is in before the round ends) gets weight 0;</li>
 *   <li>normalises each server's metrics ({@link LoadMetrics}): INPUT = its new connections in the interval over the
 *       mean, RESPONSE = its response time as Ferry measured it over the mean, CPU, DISK, MEMORY and PROCESS from its
 *       agent, and combines them with the configured coefficients into the aggregate load;</li>
 *   <li>moves the server's feedback weight by {@link WeightFormula}, and pushes it into the backend (as the feedback
 *       factor, feedback weight / configured weight) only when it passes the threshold; the weight keeps moving
 *       below the threshold, so small steps add up;</li>
 *   <li>polls every server's agent again.</li>
 * </ol>
 * Servers with configured weight 0 (quiesced) or in maintenance are neither polled nor adjusted. An HAProxy agent's
 * reply without Ferry's load fields sets the weight directly: {@code NN%} of the configured weight, 0 for
 * {@code drain}, {@code down} or {@code maint}; a bare {@code up} or {@code ready} keeps it (or restores the
 * configured weight after 0). Every change of weight is logged with its inputs.
 *
 * <p>Threading: {@link #step} runs on the timeline's thread; agent replies may arrive on any thread and are handed
 * over through volatile fields tagged with their round.
 */
public final class FeedbackController {
    private static final Logger log = LoggerFactory.getLogger(FeedbackController.class);

    /** The controller's view of one server. */
    private static final class Tracked {
        int weight;
        int pushed;
        long connectionsAtPoll;
        long polledRound = -1;
        /** The latest reply and the round it answers, as one value so the two are never mixed. */
        volatile Answer answer;

        Tracked(int configured) {
            weight = configured;
            pushed = configured;
        }
    }

    private record Answer(long round, AgentReply reply) {
    }

    private final Backend backend;
    private final long intervalNanos;
    private final LoadCoefficients coefficients;
    private final AgentPoller poller;
    private final ToDoubleFunction<Server> responseNanos;
    private final Timeline timeline;
    private final PeriodicTask task;
    private final Map<Server, Tracked> tracked = new ConcurrentHashMap<>();
    private long round;

    /**
     * @param responseNanos the response time Ferry measured for a server, in nanoseconds, NaN when unknown
     */
    public FeedbackController(Backend backend, FeedbackConfig config, AgentPoller poller,
                              ToDoubleFunction<Server> responseNanos, Timeline timeline) {
        this.backend = backend;
        this.intervalNanos = config.interval().toNanos();
        this.coefficients = config.coefficients();
        this.poller = poller;
        this.responseNanos = responseNanos;
        this.timeline = timeline;
        this.task = new PeriodicTask(timeline, this::step);
    }

    /**
     * The production controller of {@code backend}: polls agents over TCP at the configured {@code agent_port} and
     * takes RESPONSE from each server's measured latency ({@link Server#latency()}); rounds run on {@code control}
     * (not an I/O event loop), polls on one of the transport's loops.
     */
    public static FeedbackController overTcp(Backend backend, FeedbackConfig config, Transport transport,
                                             EventExecutor control) {
        EventLoop loop = transport.workers().next();
        return new FeedbackController(backend, config, new TcpAgentPoller(transport, loop, config.agentPort()),
                s -> s.latency().isKnown() ? s.latency().nanos(System.nanoTime()) : Double.NaN,
                new EventLoopTimeline(control));
    }

    /** Polls at once; the first adjustment follows one interval later. */
    public void start() {
        task.start(0);
    }

    /**
     * Stops polling (the balancer stops, or a reload replaces this backend's feedback) and gives every server its
     * configured weight back, on the timeline's thread after any round in progress.
     */
    public void stop() {
        task.stop();
        timeline.execute(() -> tracked.keySet().forEach(s -> backend.setFeedbackFactor(s, 1.0)));
    }

    /** The feedback weight the controller holds for {@code server} (its configured weight before any round). */
    public int weight(Server server) {
        Tracked t = tracked.get(server);
        return t == null ? server.configuredWeight() : t.weight;
    }

    /**
     * Adjusts weights from the previous round's replies, then polls again.
     *
     * @return the interval
     */
    public long step(long nowNanos) {
        List<Server> polled = new ArrayList<>();
        for (Server s : backend.servers()) {
            Tracked t = tracked.get(s);
            if (t != null && t.polledRound == round - 1 && round > 0) {
                polled.add(s);
            }
        }
        if (!polled.isEmpty()) {
            adjust(polled);
        }
        poll();
        return intervalNanos;
    }

    private void adjust(List<Server> servers) {
        int n = servers.size();
        double[] connections = new double[n];
        double[] response = new double[n];
        for (int i = 0; i < n; i++) {
            Server s = servers.get(i);
            connections[i] = s.totalConnections() - tracked.get(s).connectionsAtPoll;
            response[i] = responseNanos.applyAsDouble(s);
        }
        double[] input = LoadMetrics.relativeToMean(connections);
        double[] relativeResponse = LoadMetrics.relativeToMean(response);
        long previous = round - 1;
        for (int i = 0; i < n; i++) {
            Server s = servers.get(i);
            Tracked t = tracked.get(s);
            Answer answer = t.answer;
            AgentReply reply = answer != null && answer.round() == previous ? answer.reply() : null;
            int configured = s.configuredWeight();
            int before = t.weight;
            String why;
            if (reply == null) {
                t.weight = 0;
                why = "its agent did not answer within the interval";
            } else if (reply.load().isPresent() && reply.serverMayWork()
                    && reply.command().filter(c -> c == AgentReply.Command.DRAIN).isEmpty()) {
                LoadReport load = reply.load().get();
                LoadMetrics m = new LoadMetrics(input[i], load.cpu(), load.io(), load.memory(), load.loadPerCpu(),
                        relativeResponse[i]);
                double aggregate = m.aggregate(coefficients);
                t.weight = WeightFormula.next(before, aggregate, configured);
                why = String.format(Locale.ROOT, "aggregate %.3f from %s; step %+.2f", aggregate, m.describe(),
                        WeightFormula.delta(aggregate));
            } else {
                t.weight = haproxyWeight(reply, before, configured);
                why = reply.describe();
            }
            push(s, t, before, why);
        }
    }

    private static int haproxyWeight(AgentReply reply, int current, int configured) {
        if (!reply.serverMayWork() || reply.command().filter(c -> c == AgentReply.Command.DRAIN).isPresent()) {
            return 0;
        }
        if (reply.weightPercent().isPresent()) {
            long w = Math.round(reply.weightPercent().getAsInt() / 100.0 * configured);
            return (int) Math.min((long) WeightFormula.SCALE * configured, w);
        }
        return current == 0 ? configured : current;
    }

    private void push(Server s, Tracked t, int before, String why) {
        boolean startsOrStops = (t.weight == 0) != (t.pushed == 0);
        if (startsOrStops || WeightFormula.passesThreshold(t.pushed, t.weight)) {
            log.info("feedback: backend '{}' server '{}': weight {} -> {} ({})", backend.name(), s.name(), t.pushed,
                    t.weight, why);
            t.pushed = t.weight;
            backend.setFeedbackFactor(s, (double) t.weight / s.configuredWeight());
        } else if (log.isDebugEnabled()) {
            log.debug("feedback: backend '{}' server '{}': weight {} -> {}, {} stays in the scheduler ({})",
                    backend.name(), s.name(), before, t.weight, t.pushed, why);
        }
    }

    private void poll() {
        long thisRound = round++;
        long timeout = intervalNanos * 9 / 10;
        for (Server s : backend.servers()) {
            if (s.configuredWeight() == 0 || s.state() == ServerState.MAINT) {
                continue;
            }
            Tracked t = tracked.computeIfAbsent(s, x -> new Tracked(x.configuredWeight()));
            t.polledRound = thisRound;
            t.connectionsAtPoll = s.totalConnections();
            poller.poll(s, timeout, reply -> answered(t, thisRound, reply));
        }
    }

    private static void answered(Tracked t, long round, Optional<AgentReply> reply) {
        reply.ifPresent(r -> t.answer = new Answer(round, r));
    }
}

package dev.ferry.config;

import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * One YAML mapping of the configuration, read key by key into typed values. Every mistake (unknown or duplicate key,
 * wrong type, bad value) is recorded in {@link Problems} at the offending node, and the read returns empty so the
 * caller carries on and finds the next mistake too. Merge keys ({@code <<: *defaults}) are honoured; keys written
 * in the mapping itself win over merged ones.
 */
final class YamlMap {
    private static final Pattern WHOLE_NUMBER = Pattern.compile("[-+]?[0-9]+");
    private static final String EXPECTED_MAPPING = "expected a mapping (key: value lines or { key: value }), found ";

    private final MappingNode node;
    private final String path;
    private final Problems problems;
    private final Map<String, NodeTuple> entries = new LinkedHashMap<>();

    private YamlMap(MappingNode node, String path, Problems problems) {
        this.node = node;
        this.path = path;
        this.problems = problems;
    }

    /**
     * Views {@code node} as a mapping whose keys must be among {@code allowedKeys} ({@code null}: any key, as for
     * header maps). Reports unknown keys with a suggestion, and reports {@code node} itself when it is no mapping.
     */
    static Optional<YamlMap> of(Node node, String path, Problems problems, List<String> allowedKeys) {
        if (!(node instanceof MappingNode mapping)) {
            problems.add(node, path, EXPECTED_MAPPING + describe(node));
            return Optional.empty();
        }
        YamlMap map = new YamlMap(mapping, path, problems);
        map.collect(mapping, allowedKeys, true, Collections.newSetFromMap(new IdentityHashMap<>()));
        return Optional.of(map);
    }

    private void collect(MappingNode mapping, List<String> allowedKeys, boolean explicit, Set<MappingNode> visiting) {
        if (!visiting.add(mapping)) {
            // An anchor merged into itself (directly or through others) would otherwise recurse without end.
            problems.add(mapping, path, "'<<' merges a mapping into itself");
            return;
        }
        List<Node> merged = new ArrayList<>();
        for (NodeTuple tuple : mapping.getValue()) {
            Node keyNode = tuple.getKeyNode();
            if (keyNode.getTag().equals(Tag.MERGE)) {
                Node source = tuple.getValueNode();
                if (source instanceof SequenceNode sequence) {
                    merged.addAll(sequence.getValue());
                } else {
                    merged.add(source);
                }
                continue;
            }
            if (!(keyNode instanceof ScalarNode scalarKey) || isNothing(scalarKey)) {
                problems.add(keyNode, path, "expected a plain key name, found " + describe(keyNode));
                continue;
            }
            String key = scalarKey.getValue();
            NodeTuple earlier = entries.get(key);
            if (earlier != null) {
                if (explicit) {
                    problems.add(keyNode, keyPath(key), "duplicate key '" + key + "'; it is already set on line "
                            + (earlier.getKeyNode().getStartMark().getLine() + 1));
                }
                continue;
            }
            if (allowedKeys != null && !allowedKeys.contains(key)) {
                problems.add(keyNode, keyPath(key), unknownKeyMessage(key, allowedKeys));
                continue;
            }
            entries.put(key, tuple);
            problems.wrote(keyPath(key), keyNode);
        }
        for (Node source : merged) {
            if (source instanceof MappingNode mergedMapping) {
                collect(mergedMapping, allowedKeys, false, visiting);
            } else {
                problems.add(source, path, "'<<' merges mappings only, found " + describe(source));
            }
        }
        visiting.remove(mapping);
    }

    private static String unknownKeyMessage(String key, List<String> allowedKeys) {
        String hint = Suggestions.closest(key, allowedKeys).map(s -> "; did you mean '" + s + "'?").orElse(";");
        return "unknown key '" + key + "'" + hint + " allowed keys here: " + String.join(", ", allowedKeys);
    }

    private static boolean isNothing(Node node) {
        return node instanceof ScalarNode scalar && scalar.getTag().equals(Tag.NULL);
    }

    /** A short description of what a node holds, for "expected X, found Y" messages. */
    static String describe(Node node) {
        if (node instanceof ScalarNode scalar) {
            return isNothing(scalar) ? "nothing" : "'" + scalar.getValue() + "'";
        }
        return node instanceof SequenceNode ? "a list" : "a mapping";
    }

    /** Where this file's problems are collected (for problems in files the configuration names). */
    Problems problems() {
        return problems;
    }

    String path() {
        return path;
    }

    /** The dotted path of {@code key} in this mapping, e.g. {@code backends[0].retries}. */
    String keyPath(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    boolean has(String key) {
        return entries.containsKey(key);
    }

    Set<String> keys() {
        return entries.keySet();
    }

    Optional<Node> value(String key) {
        return Optional.ofNullable(entries.get(key)).map(NodeTuple::getValueNode);
    }

    /** The node of {@code key} itself (for problems about the key rather than its value); the mapping when absent. */
    Node keyNode(String key) {
        NodeTuple tuple = entries.get(key);
        return tuple == null ? node : tuple.getKeyNode();
    }

    /** Records a problem at {@code key}'s value, or at this mapping when the key is absent. */
    void problem(String key, String message) {
        problems.add(value(key).orElse(node), keyPath(key), message);
    }

    /** Records a problem at {@code key} itself (e.g. a key that is not allowed there). */
    void problemAtKey(String key, String message) {
        problems.add(keyNode(key), keyPath(key), message);
    }

    /** Records that a required {@code key} is absent; placed at the start of this mapping. */
    void missing(String key, String why) {
        problems.add(node, keyPath(key), "missing; " + why);
    }

    /** The text of a single value; empty (after reporting) when absent, empty, or not a single value. */
    Optional<String> text(String key, String expected) {
        Optional<Node> value = value(key);
        if (value.isEmpty()) {
            return Optional.empty();
        }
        if (value.get() instanceof ScalarNode scalar) {
            if (!isNothing(scalar)) {
                return Optional.of(scalar.getValue());
            }
            // An empty value has its mark after the colon, often at the end of the line; the key is easier to see.
            problems.add(keyNode(key), keyPath(key), "expected " + expected + ", found nothing");
            return Optional.empty();
        }
        problem(key, "expected " + expected + ", found " + describe(value.get()));
        return Optional.empty();
    }

    /** The text of a single value without reporting anything when it is absent or not a single value. */
    Optional<String> quietText(String key) {
        return value(key).filter(v -> v instanceof ScalarNode && !isNothing(v))
                .map(v -> ((ScalarNode) v).getValue());
    }

    /** Reads a value with {@code parser}, whose IllegalArgumentException message becomes the problem. */
    <T> Optional<T> parsed(String key, String expected, Function<String, T> parser) {
        return text(key, expected).flatMap(text -> {
            try {
                return Optional.of(parser.apply(text));
            } catch (IllegalArgumentException e) {
                problem(key, e.getMessage());
                return Optional.empty();
            }
        });
    }

    /**
     * A name that appears in admin API paths and metric labels: not empty, without '/', spaces or control
     * characters.
     */
    Optional<String> name(String key) {
        return text(key, "a name").flatMap(text -> {
            if (text.isEmpty() || text.chars().anyMatch(
                    c -> c == '/' || Character.isWhitespace(c) || Character.isISOControl(c))) {
                problem(key, "'" + text + "' is not a usable name; names must be non-empty without '/' or spaces "
                        + "(they appear in admin API paths and metric labels)");
                return Optional.empty();
            }
            return Optional.of(text);
        });
    }

    /** A whole number in {@code min..max}. */
    Optional<Integer> integer(String key, int min, int max) {
        return text(key, "a whole number").flatMap(text -> {
            if (!WHOLE_NUMBER.matcher(text).matches()) {
                problem(key, "expected a whole number, found '" + text + "'");
                return Optional.empty();
            }
            long value = text.length() > 12 ? (text.startsWith("-") ? Long.MIN_VALUE : Long.MAX_VALUE)
                    : Long.parseLong(text);
            if (value < min || value > max) {
                problem(key, text + " is out of range; " + rangeText(min, max));
                return Optional.empty();
            }
            return Optional.of((int) value);
        });
    }

    int integer(String key, int fallback, int min, int max) {
        return integer(key, min, max).orElse(fallback);
    }

    private static String rangeText(int min, int max) {
        return max == Integer.MAX_VALUE ? "allowed: " + min + " or more" : "allowed: " + min + ".." + max;
    }

    boolean bool(String key, boolean fallback) {
        return text(key, "true or false").flatMap(text -> switch (text) {
            case "true" -> Optional.of(true);
            case "false" -> Optional.of(false);
            default -> {
                problem(key, "expected true or false, found '" + text + "'");
                yield Optional.<Boolean>empty();
            }
        }).orElse(fallback);
    }

    /** A duration of at least {@code min}. */
    Optional<Duration> duration(String key, Duration min) {
        return parsed(key, "a duration such as 2s", text -> Durations.parse(text, min));
    }

    Duration duration(String key, Duration fallback, Duration min) {
        return duration(key, min).orElse(fallback);
    }

    /** An address to listen on ({@code listen}: port 0 allowed) or to connect to. */
    Optional<HostPort> address(String key, boolean listen) {
        return parsed(key, "an address HOST:PORT", listen ? Addresses::parseListen : Addresses::parseRemote);
    }

    /** The lower-case names of {@code type}'s constants mapped to them, in declaration order, for {@link #choice}. */
    static <E extends Enum<E>> Map<String, E> choicesOf(Class<E> type) {
        Map<String, E> choices = new LinkedHashMap<>();
        for (E constant : type.getEnumConstants()) {
            choices.put(constant.name().toLowerCase(Locale.ROOT), constant);
        }
        return choices;
    }

    /** One of {@code allowed}'s keys, mapped to its value; unknown words are reported with the allowed list. */
    <T> Optional<T> choice(String key, Map<String, T> allowed) {
        return text(key, "one of " + String.join(", ", allowed.keySet())).flatMap(text -> {
            T value = allowed.get(text);
            if (value == null) {
                String hint = Suggestions.closest(text, allowed.keySet()).map(s -> "did you mean '" + s + "'? ")
                        .orElse("");
                problem(key, "'" + text + "' is not allowed; " + hint + "allowed: "
                        + String.join(", ", allowed.keySet()));
                return Optional.empty();
            }
            return Optional.of(value);
        });
    }

    /** The nested mapping under {@code key}, with its own allowed keys. */
    Optional<YamlMap> map(String key, List<String> allowedKeys) {
        return value(key).flatMap(v -> {
            if (isNothing(v)) {
                problems.add(keyNode(key), keyPath(key), EXPECTED_MAPPING + "nothing");
                return Optional.empty();
            }
            return of(v, keyPath(key), problems, allowedKeys);
        });
    }

    /** The items of the list under {@code key}; empty (after reporting) when it is not a list. */
    Optional<List<Node>> list(String key) {
        return value(key).flatMap(v -> {
            if (v instanceof SequenceNode sequence) {
                return Optional.of(sequence.getValue());
            }
            problems.add(isNothing(v) ? keyNode(key) : v, keyPath(key),
                    "expected a list (lines starting with '- ' or [a, b]), found " + describe(v));
            return Optional.empty();
        });
    }

    /** Whether {@code key} holds a list with no items ({@code []}). */
    boolean isEmptyList(String key) {
        return value(key).filter(v -> v instanceof SequenceNode s && s.getValue().isEmpty()).isPresent();
    }

    /** The list under {@code key}, each item viewed as a mapping with {@code allowedKeys}; bad items are left out. */
    List<YamlMap> mapList(String key, List<String> allowedKeys) {
        List<YamlMap> maps = new ArrayList<>();
        List<Node> items = list(key).orElse(List.of());
        for (int i = 0; i < items.size(); i++) {
            String itemPath = keyPath(key) + "[" + i + "]";
            problems.wrote(itemPath, items.get(i));
            of(items.get(i), itemPath, problems, allowedKeys).ifPresent(maps::add);
        }
        return maps;
    }

    /** The list of single values under {@code key}; bad items are reported and left out. */
    List<String> textList(String key, String expected) {
        List<String> texts = new ArrayList<>();
        List<Node> items = list(key).orElse(List.of());
        for (int i = 0; i < items.size(); i++) {
            Node item = items.get(i);
            if (item instanceof ScalarNode scalar && !isNothing(scalar)) {
                texts.add(scalar.getValue());
            } else {
                problems.add(item, keyPath(key) + "[" + i + "]", "expected " + expected + ", found " + describe(item));
            }
        }
        return texts;
    }

    /** A mapping of free names to single values (header and query conditions), in file order. */
    Map<String, String> textMap(String key, String expected) {
        Map<String, String> texts = new LinkedHashMap<>();
        map(key, null).ifPresent(m -> {
            for (String name : m.keys()) {
                m.text(name, expected).ifPresent(text -> texts.put(name, text));
            }
        });
        return texts;
    }

    /** Records a problem about this mapping as a whole, placed at its start. */
    void problemHere(String message) {
        problems.add(node, path, message);
    }
}

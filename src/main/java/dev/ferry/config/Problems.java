package dev.ferry.config;

import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.nodes.Node;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Collects the problems found in one file, each placed at a YAML node's start, and remembers where each key was
 * written so that checks made after loading can be placed too ({@link KeyPositions}). Used by one thread at a time.
 */
final class Problems {
    private final String file;
    private final List<ConfigProblem> found = new ArrayList<>();
    private final Map<String, KeyPositions.Position> positions = new HashMap<>();

    Problems(String file) {
        this.file = file;
    }

    String file() {
        return file;
    }

    /** Records a problem at {@code node}'s first character; {@code key} is the dotted key path. */
    void add(Node node, String key, String message) {
        add(node.getStartMark(), key, message);
    }

    /** Records a problem at {@code mark} (SnakeYAML counts from 0, users from 1). */
    void add(Mark mark, String key, String message) {
        found.add(new ConfigProblem(file, mark.getLine() + 1, mark.getColumn() + 1, key, message));
    }

    /** Records a problem in another file the configuration names (a network file): its own name and line. */
    void addInFile(String otherFile, int line, int column, String key, String message) {
        found.add(new ConfigProblem(otherFile, line, column, key, message));
    }

    /** Records a problem with no place in the file, such as an unreadable file. */
    void addUnplaced(String message) {
        found.add(new ConfigProblem(file, 0, 0, "", message));
    }

    /** Remembers that {@code keyPath} was written at {@code node}; the first place given for a path stays. */
    void wrote(String keyPath, Node node) {
        Mark mark = node.getStartMark();
        positions.putIfAbsent(keyPath, new KeyPositions.Position(mark.getLine() + 1, mark.getColumn() + 1));
    }

    KeyPositions positions() {
        return new KeyPositions(positions);
    }

    boolean isEmpty() {
        return found.isEmpty();
    }

    /** Throws every problem recorded so far, in file order, if there is any. */
    void throwIfAny() throws ConfigException {
        if (!found.isEmpty()) {
            List<ConfigProblem> sorted = new ArrayList<>(found);
            sorted.sort(Comparator.comparingInt(ConfigProblem::line).thenComparingInt(ConfigProblem::column));
            throw new ConfigException(sorted);
        }
    }
}

package dev.ferry.config;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Node;

import java.io.StringReader;
import java.util.Optional;

/**
 * Composes YAML text into SnakeYAML's node tree, which keeps every node's line and column. Nothing is constructed
 * into Java objects, so no tag in the file can instantiate a class. Syntax errors become problems at the place the
 * parser names.
 */
final class YamlDocument {
    private YamlDocument() {
    }

    /** The root node, or empty when the text holds no document or is not valid YAML (then a problem is recorded). */
    static Optional<Node> compose(String text, Problems problems) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowRecursiveKeys(false);
        try {
            return Optional.ofNullable(new Yaml(options).compose(new StringReader(text)));
        } catch (MarkedYAMLException e) {
            Mark mark = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            String message = "YAML syntax error: " + e.getProblem();
            if (e.getContext() != null && e.getProblem() != null && e.getProblem().startsWith("but ")) {
                // SnakeYAML splits some messages as context "expected X" + problem "but found Y".
                message = "YAML syntax error: " + e.getContext() + ", " + e.getProblem();
            } else if (e.getContext() != null && e.getContextMark() != null && mark != e.getContextMark()) {
                message += " (" + e.getContext() + " at line " + (e.getContextMark().getLine() + 1) + ", column "
                        + (e.getContextMark().getColumn() + 1) + ")";
            }
            if (mark == null) {
                problems.addUnplaced(message);
            } else {
                problems.add(mark, "", message);
            }
        } catch (YAMLException e) {
            // Limits such as too many aliases carry no position; the message names the limit.
            problems.addUnplaced("YAML error: " + e.getMessage());
        }
        return Optional.empty();
    }
}
